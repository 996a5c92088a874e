//! The chat's own records beside the MLS state, in the same SQLite file:
//! who this user is, the server, the inbox cursor and the local names of
//! the groups.

use super::ChatError;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;

/// The chat's tables in the user's database.
pub(crate) struct ChatStore {
    conn: Connection,
}

/// The user as registered.
pub(crate) struct Registration {
    pub(crate) identity: String,
    pub(crate) public_key: Vec<u8>,
    pub(crate) server: String,
}

impl ChatStore {
    /// Opens the chat tables of the database at `path`, creating them.
    pub(crate) fn open(path: &Path) -> Result<Self, ChatError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS chat_user (
                 one INTEGER PRIMARY KEY CHECK (one = 1),
                 identity TEXT NOT NULL,
                 public_key BLOB NOT NULL,
                 server TEXT NOT NULL,
                 cursor INTEGER NOT NULL DEFAULT 0
             );
             CREATE TABLE IF NOT EXISTS chat_group (
                 name TEXT PRIMARY KEY,
                 group_id BLOB NOT NULL UNIQUE
             );",
        )?;
        Ok(ChatStore { conn })
    }

    /// The registered user, if any.
    pub(crate) fn registration(&self) -> Result<Option<Registration>, ChatError> {
        Ok(self
            .conn
            .query_row(
                "SELECT identity, public_key, server FROM chat_user WHERE one = 1",
                [],
                |r| {
                    Ok(Registration {
                        identity: r.get(0)?,
                        public_key: r.get(1)?,
                        server: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    /// Records the user (once; later calls may only change the server).
    pub(crate) fn set_registration(&self, reg: &Registration) -> Result<(), ChatError> {
        self.conn.execute(
            "INSERT INTO chat_user (one, identity, public_key, server) VALUES (1, ?1, ?2, ?3)
             ON CONFLICT (one) DO UPDATE SET server = excluded.server",
            params![reg.identity, reg.public_key, reg.server],
        )?;
        Ok(())
    }

    /// The inbox cursor: the sequence number of the last entry handled.
    pub(crate) fn cursor(&self) -> Result<u64, ChatError> {
        let c: Option<i64> = self
            .conn
            .query_row("SELECT cursor FROM chat_user WHERE one = 1", [], |r| {
                r.get(0)
            })
            .optional()?;
        u64::try_from(c.unwrap_or(0)).map_err(|_| ChatError::new("stored inbox cursor is negative"))
    }

    /// Stores the inbox cursor.
    pub(crate) fn set_cursor(&self, cursor: u64) -> Result<(), ChatError> {
        let c = i64::try_from(cursor).map_err(|_| ChatError::new("inbox cursor out of range"))?;
        self.conn
            .execute("UPDATE chat_user SET cursor = ?1 WHERE one = 1", params![c])?;
        Ok(())
    }

    /// Names a group.
    pub(crate) fn add_group(&self, name: &str, group_id: &[u8]) -> Result<(), ChatError> {
        self.conn.execute(
            "INSERT INTO chat_group (name, group_id) VALUES (?1, ?2)",
            params![name, group_id],
        )?;
        Ok(())
    }

    /// Forgets a group's name.
    pub(crate) fn remove_group(&self, group_id: &[u8]) -> Result<(), ChatError> {
        self.conn.execute(
            "DELETE FROM chat_group WHERE group_id = ?1",
            params![group_id],
        )?;
        Ok(())
    }

    /// The group named `name`.
    pub(crate) fn group_id(&self, name: &str) -> Result<Option<Vec<u8>>, ChatError> {
        Ok(self
            .conn
            .query_row(
                "SELECT group_id FROM chat_group WHERE name = ?1",
                params![name],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The name of group `group_id`.
    pub(crate) fn group_name(&self, group_id: &[u8]) -> Result<Option<String>, ChatError> {
        Ok(self
            .conn
            .query_row(
                "SELECT name FROM chat_group WHERE group_id = ?1",
                params![group_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Every named group, by name.
    pub(crate) fn groups(&self) -> Result<Vec<(String, Vec<u8>)>, ChatError> {
        let mut stmt = self
            .conn
            .prepare("SELECT name, group_id FROM chat_group ORDER BY name")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A name for a joined group: `wanted` if free, else `wanted-2`, ...
    pub(crate) fn free_name(&self, wanted: &str) -> Result<String, ChatError> {
        if self.group_id(wanted)?.is_none() {
            return Ok(wanted.to_string());
        }
        for n in 2..=u32::MAX {
            let name = format!("{wanted}-{n}");
            if self.group_id(&name)?.is_none() {
                return Ok(name);
            }
        }
        Err(ChatError::new("no free group name"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_db(tag: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("cohort-chat-store-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("chat.db")
    }

    #[test]
    fn registration_cursor_and_names_survive_a_reopen() {
        let path = temp_db("reopen");
        {
            let store = ChatStore::open(&path).unwrap();
            assert!(store.registration().unwrap().is_none());
            assert_eq!(store.cursor().unwrap(), 0);
            store
                .set_registration(&Registration {
                    identity: "alice".into(),
                    public_key: vec![1, 2],
                    server: "http://a".into(),
                })
                .unwrap();
            store.set_cursor(41).unwrap();
            store.add_group("team", &[9, 9]).unwrap();
            store.add_group("other", &[8]).unwrap();
            // A second registration changes only the server.
            store
                .set_registration(&Registration {
                    identity: "mallory".into(),
                    public_key: vec![3],
                    server: "http://b".into(),
                })
                .unwrap();
        }
        let store = ChatStore::open(&path).unwrap();
        let reg = store.registration().unwrap().unwrap();
        assert_eq!(
            (
                reg.identity.as_str(),
                reg.public_key.as_slice(),
                reg.server.as_str()
            ),
            ("alice", &[1u8, 2][..], "http://b")
        );
        assert_eq!(store.cursor().unwrap(), 41);
        assert_eq!(store.group_id("team").unwrap(), Some(vec![9, 9]));
        assert_eq!(store.group_name(&[8]).unwrap().as_deref(), Some("other"));
        assert_eq!(
            store.groups().unwrap(),
            vec![
                ("other".to_string(), vec![8]),
                ("team".to_string(), vec![9, 9])
            ]
        );
        // Names and group ids are unique.
        assert!(store.add_group("team", &[7]).is_err());
        assert!(store.add_group("third", &[8]).is_err());
        store.remove_group(&[9, 9]).unwrap();
        assert_eq!(store.group_id("team").unwrap(), None);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn joined_groups_get_a_free_name() {
        let path = temp_db("names");
        let store = ChatStore::open(&path).unwrap();
        assert_eq!(store.free_name("team").unwrap(), "team");
        store.add_group("team", &[1]).unwrap();
        assert_eq!(store.free_name("team").unwrap(), "team-2");
        store.add_group("team-2", &[2]).unwrap();
        assert_eq!(store.free_name("team").unwrap(), "team-3");
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }
}
