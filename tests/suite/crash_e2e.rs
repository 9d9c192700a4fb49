//! Crash safety: SIGKILL `entitle apply` at every point of an apply over four PBXs where an
//! order is in the vendor's hands — received and not yet stored, or stored and not yet answered —
//! and re-run it. Whatever the kill point, the account ends in the desired state with zero
//! duplicate orders (checked against the sandbox's order log).
//!
//! The sandbox holds the chosen order save at its phase (`holdOrderSave`), so the kill lands
//! exactly there: the test waits for the hold, never for a duration, and checks the journal to
//! prove the kill point was reached.

use serde_json::json;

use crate::support::{Backend, Env, stdout};

/// Kills an apply (one order at a time) while its order number `k` (from 0) is held at `phase`,
/// then re-runs it until it converges. `backend_pg` runs it on the database's journal too.
pub(crate) fn kill_then_converge(backend: Backend, k: u64, phase: &str) {
    let env = Env::new().on(backend);
    let examples = Env::examples_arg();
    let child = env.apply_held_at(&examples, k, phase);
    // The kill point is reached: order k is in the vendor's hands, its intent committed.
    assert_eq!(env.intents(), k as usize + 1, "kill point {k} {phase}");
    assert_eq!(env.count("POST /order/openapi/order/v1/save"), k);
    env.kill_held(child); // SIGKILL

    // An order of unknown outcome is resolved by the next run when the vendor shows it; one
    // that left no trace keeps its PBX in doubt (exit 6) until the settle period has passed.
    let last = env.converge(&examples, 4).last().copied().flatten();
    assert_eq!(
        last,
        Some(0),
        "apply did not converge after a kill at order {k} {phase} ({backend:?})"
    );
    env.bought_once(4, &format!("a kill at order {k} {phase}, {backend:?}"));
    let plan = env.plan_detailed(&examples);
    assert_eq!(plan.status.code(), Some(0), "{}", stdout(&plan));
}

#[test]
fn killed_while_an_order_is_received_but_not_stored() {
    for k in 0..4 {
        kill_then_converge(Backend::Workspace, k, "before_commit");
    }
}

#[test]
fn killed_while_a_stored_order_is_not_yet_answered() {
    for k in 0..4 {
        kill_then_converge(Backend::Workspace, k, "after_commit");
    }
}

#[test]
fn killed_mid_order_with_the_other_pbxs_in_flight() {
    killed_mid_order(Backend::Workspace);
}

/// Default parallelism: the other PBXs' orders are wherever they are when order 1 is held.
pub(crate) fn killed_mid_order(backend: Backend) {
    let env = Env::new().on(backend);
    env.faults(json!({"holdOrderSave": {"skip": 1, "phase": "after_commit"}}));
    let examples = Env::examples_arg();
    let args = env.apply_args(&examples);
    let child = env.spawn(&args);
    env.wait_held(1);
    assert!(env.intents() >= 2);
    env.kill_held(child);
    assert_eq!(env.converge(&examples, 4).last(), Some(&Some(0)));
    env.bought_once(4, &format!("a kill with other PBXs in flight, {backend:?}"));
    assert_eq!(env.plan_detailed(&examples).status.code(), Some(0));
}
