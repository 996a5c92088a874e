//! The JavaScript API run in a browser (headless Chromium through
//! `wasm-bindgen-test-runner`; see scripts/test-wasm): a group created,
//! a member added, messages both ways, a proposal, a client's state
//! exported, imported and used again.
#![cfg(target_arch = "wasm32")]

use cohort_wasm::CohortClient;
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// `obj[key]`.
fn get(obj: &Object, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap()
}

/// `obj[key]` as bytes.
fn bytes(obj: &Object, key: &str) -> Vec<u8> {
    Uint8Array::from(get(obj, key)).to_vec()
}

/// Sends `text` from `from` to `to` and checks what `to` reads.
fn talk(from: &CohortClient, to: &CohortClient, group: &[u8], text: &str) -> Vec<u8> {
    let ct = from.encrypt(group, text.as_bytes(), None).unwrap();
    let seen = to.process(group, &ct).unwrap();
    assert_eq!(get(&seen, "type").as_string().unwrap(), "application");
    assert_eq!(bytes(&seen, "data"), text.as_bytes());
    assert_eq!(
        bytes(&seen, "identity"),
        Uint8Array::from(from.identity()).to_vec()
    );
    assert_eq!(
        get(&seen, "sender").as_f64().unwrap(),
        f64::from(from.own_index(group).unwrap())
    );
    ct
}

/// Creates alice's group with bob in it.
fn pair() -> (CohortClient, CohortClient, Vec<u8>) {
    let alice = CohortClient::new("alice", None).unwrap();
    let bob = CohortClient::new("bob", None).unwrap();
    let group = alice.create_group(None).unwrap();
    let kp = Uint8Array::from(bob.generate_key_package().unwrap().as_slice());
    let out = alice.add_members(&group, vec![kp]).unwrap();
    assert_eq!(alice.merge_pending_commit(&group).unwrap(), 1.0);
    let staged = bob.stage_welcome(&bytes(&out, "welcome"), None).unwrap();
    assert_eq!(staged.group_id(), group);
    assert_eq!(staged.roster().length(), 2);
    let added_by = Object::from(staged.added_by());
    assert_eq!(bytes(&added_by, "identity"), b"alice");
    assert_eq!(bob.join(staged).unwrap(), group);
    (alice, bob, group)
}

#[wasm_bindgen_test]
fn create_add_and_exchange_messages() {
    let (alice, bob, group) = pair();
    assert_eq!(alice.epoch(&group).unwrap(), 1.0);
    assert_eq!(bob.epoch(&group).unwrap(), 1.0);
    assert_eq!(
        alice.epoch_authenticator(&group).unwrap(),
        bob.epoch_authenticator(&group).unwrap()
    );
    assert_eq!(bob.own_index(&group).unwrap(), 1);
    let roster: Vec<Vec<u8>> = bob
        .roster(&group)
        .unwrap()
        .iter()
        .map(|m| bytes(&Object::from(m), "identity"))
        .collect();
    assert_eq!(roster, vec![b"alice".to_vec(), b"bob".to_vec()]);

    talk(&alice, &bob, &group, "hello bob");
    talk(&bob, &alice, &group, "hello alice");

    // Bob proposes an update; alice keeps it, then commits it.
    let proposal = bob.propose_self_update(&group).unwrap();
    let seen = alice.process(&group, &proposal).unwrap();
    assert_eq!(get(&seen, "type").as_string().unwrap(), "proposal");
    assert_eq!(get(&seen, "proposalType").as_f64().unwrap(), 2.0);
    let out = alice.commit(&group, Vec::new(), &[], false).unwrap();
    let seen = bob.process(&group, &bytes(&out, "commit")).unwrap();
    assert_eq!(get(&seen, "type").as_string().unwrap(), "commit");
    assert_eq!(get(&seen, "epoch").as_f64().unwrap(), 2.0);
    assert_eq!(alice.merge_pending_commit(&group).unwrap(), 2.0);
    assert_eq!(
        alice.epoch_authenticator(&group).unwrap(),
        bob.epoch_authenticator(&group).unwrap()
    );
    talk(&bob, &alice, &group, "after the update");
}

#[wasm_bindgen_test]
fn exported_state_is_imported_and_continues() {
    let (alice, bob, group) = pair();
    let read = talk(&alice, &bob, &group, "before the export");
    let state = bob.export_state().unwrap();
    drop(bob);
    let bob = CohortClient::import_state(&state).unwrap();
    assert_eq!(Uint8Array::from(bob.identity()).to_vec(), b"bob");
    assert_eq!(bob.epoch(&group).unwrap(), 1.0);
    let ids = bob.group_ids().unwrap();
    assert_eq!(ids.length(), 1);
    assert_eq!(Uint8Array::from(ids.get(0)).to_vec(), group);

    // The restored client remembers what it read, and goes on.
    assert!(bob.process(&group, &read).is_err());
    talk(&alice, &bob, &group, "after the import");
    talk(&bob, &alice, &group, "restored bob speaks");
    let update = bob.self_update(&group).unwrap();
    let seen = alice.process(&group, &bytes(&update, "commit")).unwrap();
    assert_eq!(get(&seen, "epoch").as_f64().unwrap(), 2.0);
    assert_eq!(bob.merge_pending_commit(&group).unwrap(), 2.0);
    assert_eq!(
        alice.epoch_authenticator(&group).unwrap(),
        bob.epoch_authenticator(&group).unwrap()
    );

    // A damaged state is refused.
    assert!(CohortClient::import_state(&state[..state.len() - 1]).is_err());
}

#[wasm_bindgen_test]
fn removed_member_is_inactive() {
    let (alice, bob, group) = pair();
    let out = alice.remove_members(&group, &[1]).unwrap();
    let seen = bob.process(&group, &bytes(&out, "commit")).unwrap();
    assert_eq!(get(&seen, "active"), JsValue::FALSE);
    let removed = Array::from(&get(&seen, "removed"));
    assert_eq!(removed.get(0).as_f64(), Some(1.0));
    assert!(!bob.is_active(&group).unwrap());
    assert_eq!(alice.merge_pending_commit(&group).unwrap(), 2.0);
    assert_eq!(alice.roster(&group).unwrap().length(), 1);
}
