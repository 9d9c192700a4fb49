//! Fleet benchmark (`cargo bench --bench fleet`, or `-- 1000 20` for N PBXs and L ms latency):
//! plans a fleet of N PBXs against the sandbox with L ms of latency per request and prints the
//! wall time, the requests sent, and the lower bound (unavoidable requests × L / parallelism);
//! then the same work done the way the vendor tutorials do it — three lookups plus one order
//! per PBX, one PBX at a time — measured on a sample and extrapolated to N.

use std::sync::Arc;
use std::time::{Duration, Instant};

use entitle::api::{Client, ClientConfig, Credentials};
use entitle::clock::Clock;
use entitle::manifest::{CatalogRef, DesiredPbx, Loc, Located};
use entitle::model::ProductId;
use entitle::observe::{self, Settings, Silent};
use entitle::plan::{self, PlanContext, Selection};
use entitle::sandbox::{self, OrderStatusMode, SandboxConfig, Seed};

const PARALLELISM: usize = 32;

fn loc() -> Loc {
    Loc {
        file: Arc::from("fleet.yaml"),
        line: 1,
        column: 1,
    }
}

/// Desired state: every PBX keeps what it has, one in ten gets 10 more extensions.
fn desired(client: &Client, rt: &tokio::runtime::Runtime) -> Vec<DesiredPbx> {
    let mut out = Vec::new();
    for product in [9, 11, 12, 13].map(ProductId) {
        let list = rt.block_on(client.instances(product)).unwrap();
        for (i, inst) in list.into_iter().enumerate() {
            out.push(DesiredPbx {
                at: loc(),
                sn: inst.product_no,
                product: Located::new(product, loc()),
                plan: None,
                billing_cycle: None,
                term: None,
                extensions: None,
                concurrent_calls: None,
                services: None,
                auto_renew: None,
                renew: i % 10 == 0,
                renew_before_days: Located::new(30, loc()),
                billing_contact: Some(Located::new(
                    entitle::manifest::ContactRef::Id(entitle::model::Id(sandbox::BILLING_CONTACT)),
                    loc(),
                )),
                labels: Default::default(),
            });
        }
    }
    let _ = CatalogRef::Name(String::new());
    out
}

fn run(n: usize, latency_ms: u64) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    // A fixed day: the fleet's dates, and so the plan, are the same on every run.
    let clock = Clock::on("2026-11-22".parse().unwrap());
    let sb = rt
        .block_on(sandbox::start(SandboxConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            state_file: None,
            seed: Seed::Fleet(n),
            clock,
            latency_ms: 0,
            fail_rate: 0.0,
            order_status: OrderStatusMode::Succeed,
            renewal_requires_all_services: true,
            client_id: "bench".into(),
            client_secret: "bench".into(),
            rng_seed: 1,
            ..SandboxConfig::default()
        }))
        .unwrap();
    let base = format!("http://{}", sb.addr);
    let mut cfg = ClientConfig::new(base.clone(), Credentials::new("bench", "bench"));
    cfg.concurrency = PARALLELISM;
    cfg.rate_per_sec = 0.0;
    let setup = Client::new(cfg.clone()).unwrap();
    let desired = desired(&setup, &rt);

    // Now the latency of a slow vendor.
    let http = reqwest::Client::new();
    let set = rt
        .block_on(
            http.post(format!("{base}/_sandbox/faults"))
                .json(&serde_json::json!({"latencyMs": latency_ms}))
                .send(),
        )
        .unwrap();
    assert_eq!(set.status(), 200, "the sandbox took the latency switch");

    let client = Client::new(cfg).unwrap();
    let settings = Settings {
        today: clock.today(),
        parallelism: PARALLELISM,
        pending_window_days: 30,
        now_ms: clock.now_ms(),
        awaiting: vec![],
        settle_ms: 600_000,
        in_doubt: vec![],
        own: Default::default(),
        own_recent: vec![],
    };
    let started = Instant::now();
    let obs = rt
        .block_on(observe::observe(&client, &desired, &settings, &Silent))
        .unwrap();
    let ctx = PlanContext {
        today: settings.today,
        manifest_hash: String::new(),
        selection: Selection::default(),
        nonce: "bench".into(),
    };
    let plan = plan::plan(&desired, &obs.observed, &obs.catalogs, &ctx).unwrap();
    let wall = started.elapsed();
    let sent = client.stats().sent;
    let orders = plan.summary().orders;
    // Unavoidable: one detail per PBX, one order-list page, the token; catalogs and contacts
    // only when an order is built.
    let unavoidable =
        n as u64 + 2 + u64::from(orders > 0) * (1 + obs.catalogs.by_product.len() as u64);
    let bound = Duration::from_millis(unavoidable.div_ceil(PARALLELISM as u64) * latency_ms);

    // The tutorial way, on a sample: instance list, catalog, billing contacts, order, per PBX.
    let sample = desired.len().min(20);
    let naive_started = Instant::now();
    for d in desired.iter().take(sample) {
        let p = d.product.value;
        rt.block_on(client.instance(p, &d.sn)).ok();
        rt.block_on(client.catalog(p, Some(&d.sn))).ok();
        rt.block_on(client.billing_contacts()).ok();
        rt.block_on(async { tokio::time::sleep(Duration::from_millis(latency_ms)).await }); // the order
    }
    let per_pbx = naive_started.elapsed() / sample.max(1) as u32;
    let naive = per_pbx * n as u32;

    println!(
        "fleet N={n:>6} L={latency_ms}ms parallelism={PARALLELISM}: plan {:>8.2}s, {sent} requests ({orders} orders planned), lower bound {:>7.2}s ({unavoidable} requests); tutorial-style client {:>9.1}s ({} requests, one at a time); peak RSS {} (sandbox included)",
        wall.as_secs_f64(),
        bound.as_secs_f64(),
        naive.as_secs_f64(),
        n * 4,
        peak_rss()
    );
    rt.block_on(sb.shutdown());
}

/// Peak resident memory of this process (Linux), e.g. `85 MiB`.
fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map(|kib| format!("{} MiB", kib / 1024))
        .unwrap_or_else(|| "unknown".into())
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if let (Some(n), Some(l)) = (args.first(), args.get(1)) {
        run(n.parse().unwrap(), l.parse().unwrap());
        return;
    }
    for (n, l) in [(1_000, 20), (10_000, 20)] {
        run(n, l);
    }
}
