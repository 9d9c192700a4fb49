//! The integration suite, one test binary: end-to-end tests of the real `entitle` binary against
//! sandboxes of their own, the sandbox spoken to by hand, and the API client against a scripted
//! vendor. One binary links once, and `cargo test` cannot stop at a failing binary before the
//! others ran. The harness is [`support`].

mod support;

mod api_documented;
mod api_endpoints;
mod api_sandbox;
mod api_transport;
mod apply_e2e;
mod backend_pg;
mod catalog_cli;
mod ci_workflow;
mod cli;
mod conventions;
mod crash_e2e;
mod diagnostics;
mod doctor;
mod drift;
mod export_e2e;
mod forecast;
mod guardrails;
mod layers;
mod only;
mod order_list;
mod ordinary;
mod plan_e2e;
mod pricing;
mod renewal;
mod sandbox_api;
mod sandbox_cli;
mod sandbox_faults;
mod sandbox_rules;
mod sandbox_seeds;
mod sandbox_state;
mod saved_plan;
mod schema;
mod seeds_e2e;
mod time;
mod unknown_sn;
mod validate;
mod vendor_variants;
