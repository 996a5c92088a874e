//! The interactive session: commands on standard input, incoming messages
//! printed by a receiver thread as they arrive.

use super::ChatError;
use super::app::{Chat, Event};
use std::io::BufRead;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

const HELP: &str = "commands:
  /register NAME          create this user (once per --dir)
  /create GROUP           create a group (and make it current)
  /invite [GROUP] USER    add USER to GROUP (default: the current group)
  /msg GROUP TEXT         send TEXT to GROUP
  /switch GROUP           make GROUP current
  /members [GROUP]        list a group's members
  /leave [GROUP]          leave a group
  /groups                 list groups
  /quit                   leave the session
  any other line          sent to the current group";

/// The session's state shared with the receiver thread.
struct Session {
    chat: Arc<Mutex<Chat>>,
    /// The group plain lines go to (the first group joined when none is).
    current: Arc<Mutex<Option<String>>>,
}

fn show(events: &[Event]) {
    for e in events {
        println!("{e}");
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Long-polls the inbox without holding the chat, then handles what came
/// with it held.
fn receiver(chat: Arc<Mutex<Chat>>, current: Arc<Mutex<Option<String>>>, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::Relaxed) {
        let (ds, cursor) = {
            let c = lock(&chat);
            (c.ds(), c.cursor())
        };
        match ds.inbox(cursor, Duration::from_secs(20)) {
            Ok(inbox) if inbox.messages.is_empty() => {}
            Ok(inbox) => match lock(&chat).apply(inbox) {
                Ok(events) => {
                    let mut current = lock(&current);
                    for e in &events {
                        if let (None, Event::Joined { group, .. }) = (&*current, e) {
                            *current = Some(group.clone());
                        }
                    }
                    show(&events);
                }
                Err(e) => println!("warning receiving: {e}"),
            },
            Err(e) => {
                println!("warning receiving: {e}");
                std::thread::sleep(Duration::from_secs(2));
            }
        }
    }
}

/// Runs the session on standard input until `/quit` or end of input.
pub(crate) fn run(dir: &Path, server: Option<&str>) -> Result<(), ChatError> {
    let stop = Arc::new(AtomicBool::new(false));
    let mut session: Option<Session> = match Chat::open(dir, server) {
        Ok(chat) => {
            println!("user {}; /help for commands", chat.identity());
            Some(start(chat, &stop))
        }
        Err(_) => {
            println!("no user in {} yet: /register NAME", dir.display());
            None
        }
    };
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|e| ChatError::new(format!("reading input: {e}")))?;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line == "/quit" {
            break;
        }
        if line == "/help" {
            println!("{HELP}");
            continue;
        }
        let result = match (&mut session, line.strip_prefix("/register ")) {
            (None, Some(name)) => match server {
                None => Err(ChatError::new("start with --server URL to register")),
                Some(server) => Chat::register(dir, server, name.trim()).map(|(chat, events)| {
                    show(&events);
                    session = Some(start(chat, &stop));
                }),
            },
            (None, None) => Err(ChatError::new("no user yet: /register NAME")),
            (Some(_), Some(_)) => Err(ChatError::new("this directory already has a user")),
            (Some(s), None) => command(s, line),
        };
        if let Err(e) = result {
            println!("error: {e}");
        }
    }
    stop.store(true, Ordering::Relaxed);
    Ok(())
}

fn start(chat: Chat, stop: &Arc<AtomicBool>) -> Session {
    let current = Arc::new(Mutex::new(
        chat.groups()
            .ok()
            .and_then(|g| g.first().map(|(n, ..)| n.clone())),
    ));
    let chat = Arc::new(Mutex::new(chat));
    let (c, g, s) = (chat.clone(), current.clone(), stop.clone());
    std::thread::spawn(move || receiver(c, g, s));
    Session { chat, current }
}

fn current(s: &Session, given: Option<&str>) -> Result<String, ChatError> {
    given
        .map(str::to_string)
        .or_else(|| lock(&s.current).clone())
        .ok_or_else(|| ChatError::new("no current group: /create GROUP or /switch GROUP"))
}

fn command(s: &mut Session, line: &str) -> Result<(), ChatError> {
    let Some(rest) = line.strip_prefix('/') else {
        let group = current(s, None)?;
        return lock(&s.chat).send(&group, line).map(|e| show(&e));
    };
    let (cmd, args) = rest.split_once(' ').unwrap_or((rest, ""));
    let words: Vec<&str> = args.split_whitespace().collect();
    let mut chat = lock(&s.chat);
    match (cmd, words.as_slice()) {
        ("create", [name]) => {
            show(&chat.create(name)?);
            *lock(&s.current) = Some((*name).to_string());
        }
        ("invite", [user]) => {
            let group = current(s, None)?;
            show(&chat.invite(&group, user)?);
        }
        ("invite", [group, user]) => show(&chat.invite(group, user)?),
        ("msg", [group, ..]) => {
            let text = args.trim_start().get(group.len()..).unwrap_or("").trim();
            show(&chat.send(group, text)?);
        }
        ("switch", [group]) => {
            chat.members(group)?;
            *lock(&s.current) = Some((*group).to_string());
            println!("current {group}");
        }
        ("members", [] | [_]) => {
            let group = current(s, words.first().copied())?;
            println!("members {group} {}", chat.members(&group)?.join(","));
        }
        ("leave", [] | [_]) => {
            let group = current(s, words.first().copied())?;
            show(&chat.leave(&group)?);
        }
        ("groups", []) => {
            for (name, epoch, count) in chat.groups()? {
                println!("group {name} epoch={epoch} members={count}");
            }
        }
        _ => {
            return Err(ChatError::new(format!(
                "unknown command /{rest}; /help lists them"
            )));
        }
    }
    Ok(())
}
