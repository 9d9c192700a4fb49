//! Fleet benchmark: `cargo bench --bench fleet` (or `-- plan 2000 20 [R]`, `-- apply 500 20`).
//!
//! Runs the real `entitle` binary, with the settings a user gets by default (parallelism 8, no
//! client-side rate limit, stderr piped as in CI), against the sandbox serving a generated
//! fleet with L ms of latency per request and, for the throttled run, at most R requests per
//! second (429 with Retry-After beyond). For each run it prints:
//!
//! - wall time against the lower bound: unavoidable requests × L / parallelism (or, throttled,
//!   the requests / R);
//! - requests sent against the unavoidable ones (one detail per PBX, the order list, the
//!   token, a catalog per product and the contacts when an order is built; plus one order per
//!   PBX for apply);
//! - the 429s the sandbox served, the longest gap between progress lines on stderr, and the
//!   binary's peak RSS;
//! - the tutorial-style client: the vendor's tutorials' sequence (detail, catalog, contacts,
//!   order) one PBX at a time, timed on a sample and extrapolated;
//! - `flood`: the binary's peak RSS against answers that never end (3 GB declared, endless
//!   chunked), which it must refuse at its cap.
// A benchmark, not the product: it prints its figures.
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::disallowed_methods)]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use entitle::api::{Client, ClientConfig, Credentials};
use entitle::clock::Clock;
use entitle::model::ProductId;
use entitle::sandbox::{self, SandboxConfig, Seed};

const PARALLELISM: u64 = 8;
const ID: &str = "bench";
const SECRET: &str = "bench-secret";

/// What one run does.
#[derive(Debug, Clone, Copy)]
enum Job {
    /// `entitle plan` of a fleet of N PBXs.
    Plan,
    /// `entitle apply --auto-approve` of N orders (N Software Edition PBXs growing by 10
    /// extensions each).
    Apply,
}

struct Figures {
    wall: Duration,
    requests: u64,
    throttled: u64,
    max_gap: Option<Duration>,
    peak_rss_kib: u64,
    exit: Option<i32>,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

/// The fleet's PBXs, and its growable Software Editions with their extension counts.
type Fleet = (Vec<(ProductId, String)>, Vec<(String, u32)>);

/// The fleet's PBXs as `(product, SN)`, and the extension counts of its Software Editions with
/// a plan (read during setup, not measured).
fn fleet(rt: &tokio::runtime::Runtime, base: &str) -> Fleet {
    let mut cfg = ClientConfig::new(base.to_owned(), Credentials::new(ID, SECRET));
    cfg.concurrency = 32;
    let client = Client::new(cfg).unwrap();
    let mut all = Vec::new();
    let mut growable = Vec::new();
    for product in [9, 11, 12, 13].map(ProductId) {
        for inst in rt.block_on(client.instances(product)).unwrap() {
            all.push((product, inst.product_no.clone()));
        }
    }
    for (product, sn) in &all {
        if *product == ProductId::SOFTWARE_EDITION {
            let o = rt.block_on(client.instance(*product, sn)).unwrap();
            if o.plan.is_some() {
                growable.push((sn.clone(), o.extensions));
            }
        }
    }
    (all, growable)
}

fn alias(p: ProductId) -> &'static str {
    match p.0 {
        9 => "linkus",
        11 => "appliance",
        12 => "software-edition",
        _ => "cloud-pbx",
    }
}

/// Writes the manifests of a job: for `plan`, every PBX as it is (renewals off) and one
/// Software Edition in ten growing by 10 extensions; for `apply`, `n` Software Editions
/// growing by 10.
fn manifests(
    dir: &Path,
    job: Job,
    n: usize,
    all: &[(ProductId, String)],
    growable: &[(String, u32)],
) -> usize {
    let mut yaml = String::from(
        "version: 1\ndefaults:\n  billingContact: billing@example.com\n  renew: false\npbxs:\n",
    );
    let mut orders = 0;
    match job {
        Job::Plan => {
            for (i, (product, sn)) in all.iter().enumerate() {
                yaml.push_str(&format!(
                    "  - sn: \"{sn}\"\n    product: {}\n",
                    alias(*product)
                ));
                if let Some((_, ext)) = growable
                    .iter()
                    .find(|(s, _)| s == sn)
                    .filter(|_| i % 10 == 0)
                {
                    yaml.push_str(&format!("    extensions: {}\n", ext + 10));
                    orders += 1;
                }
            }
        }
        Job::Apply => {
            assert!(
                growable.len() >= n,
                "the fleet has only {} growable PBXs",
                growable.len()
            );
            for (sn, ext) in growable.iter().take(n) {
                yaml.push_str(&format!(
                    "  - sn: \"{sn}\"\n    product: software-edition\n    extensions: {}\n",
                    ext + 10
                ));
            }
            orders = n;
        }
    }
    std::fs::write(dir.join("fleet.yaml"), yaml).unwrap();
    orders
}

/// Runs the binary, timing it, sampling its peak RSS and the gaps between its stderr lines.
fn measure(
    dir: &Path,
    base: &str,
    args: &[&str],
) -> (Duration, Option<i32>, u64, Option<Duration>) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_entitle"))
        .args(args)
        .current_dir(dir)
        .env("ENTITLE_BASE_URL", base)
        .env("ENTITLE_CLIENT_ID", ID)
        .env("ENTITLE_CLIENT_SECRET", SECRET)
        .env_remove("ENTITLE_RATE_LIMIT")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let stderr = child.stderr.take().unwrap();
    let lines: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let seen = lines.clone();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains(" in ") && line.contains("/s)") {
                seen.lock().unwrap().push(Instant::now());
            }
        }
    });
    let mut peak = 0;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if let Some(kib) = vm_hwm(pid) {
            peak = peak.max(kib);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let wall = started.elapsed();
    reader.join().unwrap();
    let mut marks = vec![started];
    marks.extend(lines.lock().unwrap().iter().copied());
    marks.push(started + wall);
    let max_gap = (wall > Duration::from_secs(15)).then(|| {
        marks
            .windows(2)
            .map(|w| w[1] - w[0])
            .max()
            .unwrap_or_default()
    });
    (wall, status.code(), peak, max_gap)
}

/// `VmHWM` of a process, in KiB.
fn vm_hwm(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn run(job: Job, n: usize, latency_ms: u64, rate_limit: u32) {
    let rt = runtime();
    // The fleet: for apply, enough PBXs to hold n growable Software Editions.
    let fleet_size = match job {
        Job::Plan => n,
        Job::Apply => n * 5,
    };
    let sb = rt
        .block_on(sandbox::start(SandboxConfig {
            seed: Seed::Fleet(fleet_size),
            clock: Clock::on("2026-11-22".parse().unwrap()),
            client_id: ID.into(),
            client_secret: SECRET.into(),
            rng_seed: 1,
            ..SandboxConfig::default()
        }))
        .unwrap();
    let base = sb.base_url();
    let (all, growable) = fleet(&rt, &base);
    let dir = tempfile::tempdir().unwrap();
    let orders = manifests(dir.path(), job, n, &all, &growable);
    let http = reqwest::Client::new();
    let admin = |path: &str, body: serde_json::Value| {
        let r = rt
            .block_on(http.post(format!("{base}{path}")).json(&body).send())
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
    };
    let read = |path: &str| -> serde_json::Value {
        rt.block_on(async { http.get(format!("{base}{path}")).send().await?.json().await })
            .unwrap()
    };
    admin("/_sandbox/reset", serde_json::json!({}));
    admin(
        "/_sandbox/faults",
        serde_json::json!({"latencyMs": latency_ms, "rateLimit": rate_limit}),
    );
    let now = entitle::clock::Timestamp(sb.now_ms()).to_string();
    let args: Vec<&str> = match job {
        Job::Plan => vec!["plan", "fleet.yaml", "--now", &now, "--no-price"],
        Job::Apply => vec!["apply", "fleet.yaml", "--now", &now, "--auto-approve"],
    };
    let (wall, exit, peak_rss_kib, max_gap) = measure(dir.path(), &base, &args);
    let counts = read("/_sandbox/requests");
    let requests: u64 = counts["counts"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(serde_json::Value::as_u64)
        .sum();
    let faults = read("/_sandbox/faults");
    let throttled = faults["served"]["rate_limit"].as_u64().unwrap_or(0);
    let figures = Figures {
        wall,
        requests,
        throttled,
        max_gap,
        peak_rss_kib,
        exit,
    };
    // Unavoidable: the token, one detail per PBX, one page of the order list; a catalog per
    // product with an order and the contacts when an order is built; one order per order.
    let pbxs = match job {
        Job::Plan => all.len(),
        Job::Apply => n,
    } as u64;
    let orders = orders as u64;
    let catalogs = u64::from(orders > 0);
    let unavoidable = 2
        + pbxs
        + catalogs
        + catalogs
        + match job {
            Job::Plan => 0,
            // Each order, and its quote: apply asks the calculator before sending, so a
            // refusal stops the plan (each body is distinct, so one quote per order).
            Job::Apply => 2 * orders,
        };
    let bound = if rate_limit > 0 {
        Duration::from_secs_f64(unavoidable as f64 / f64::from(rate_limit))
    } else {
        Duration::from_millis(unavoidable.div_ceil(PARALLELISM) * latency_ms)
    };
    let naive = tutorial(&rt, &base, &all, latency_ms) * pbxs as u32;
    print(
        job,
        pbxs,
        orders,
        latency_ms,
        rate_limit,
        &figures,
        unavoidable,
        bound,
        naive,
    );
    rt.block_on(sb.shutdown());
}

/// The tutorials' sequence for one PBX (detail, catalog, contacts, and an order, here a wait
/// of L), one PBX at a time: the time per PBX on a sample of 10.
fn tutorial(
    rt: &tokio::runtime::Runtime,
    base: &str,
    all: &[(ProductId, String)],
    latency_ms: u64,
) -> Duration {
    let mut cfg = ClientConfig::new(base.to_owned(), Credentials::new(ID, SECRET));
    cfg.concurrency = 1;
    let client = Client::new(cfg).unwrap();
    let sample: Vec<_> = all.iter().take(10).collect();
    let started = Instant::now();
    for (p, sn) in &sample {
        rt.block_on(client.instance(*p, sn)).ok();
        rt.block_on(client.catalog(*p, Some(sn))).ok();
        rt.block_on(client.billing_contacts()).ok();
        std::thread::sleep(Duration::from_millis(latency_ms));
    }
    started.elapsed() / sample.len().max(1) as u32
}

#[allow(clippy::too_many_arguments)]
fn print(
    job: Job,
    pbxs: u64,
    orders: u64,
    latency_ms: u64,
    rate_limit: u32,
    f: &Figures,
    unavoidable: u64,
    bound: Duration,
    naive: Duration,
) {
    let limit = if rate_limit > 0 {
        format!(", server allows {rate_limit}/s")
    } else {
        String::new()
    };
    let gap = f
        .max_gap
        .map(|g| format!("{:.1}s", g.as_secs_f64()))
        .unwrap_or_else(|| "-".into());
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<5} {pbxs:>6} PBXs, {orders:>5} orders, L={latency_ms}ms{limit}: wall {:>6.2}s vs bound {:>6.2}s ({:.2}x); requests {} vs {} ({:.3}x); 429s {}; max progress gap {gap}; peak RSS {} MiB; exit {:?}; tutorial-style {:.0}s",
        format!("{job:?}").to_lowercase(),
        f.wall.as_secs_f64(),
        bound.as_secs_f64(),
        f.wall.as_secs_f64() / bound.as_secs_f64().max(1e-9),
        f.requests,
        unavoidable,
        f.requests as f64 / unavoidable as f64,
        f.throttled,
        f.peak_rss_kib / 1024,
        f.exit,
        naive.as_secs_f64(),
    )
    .unwrap();
}

/// A server whose every answer never ends: `declared` bytes announced by Content-Length (or,
/// with `None`, an endless chunked body), streamed until the client hangs up.
fn flood_server(declared: Option<u64>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let _ = std::io::Read::read(&mut conn, &mut buf);
                let head = match declared {
                    Some(n) => format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {n}\r\n\r\n"
                    ),
                    None => "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n".to_owned(),
                };
                if conn.write_all(head.as_bytes()).is_err() {
                    return;
                }
                let block = vec![b' '; 64 * 1024];
                let chunk = [
                    format!("{:x}\r\n", block.len()).into_bytes(),
                    block.clone(),
                    b"\r\n".to_vec(),
                ]
                .concat();
                let piece = if declared.is_some() { &block } else { &chunk };
                // Paced (about 30 MB/s), so the sampler sees the client's memory while it
                // reads, up to the moment it gives up.
                while conn.write_all(piece).is_ok() {
                    std::thread::sleep(Duration::from_millis(2));
                }
            });
        }
    });
    format!("http://{addr}")
}

/// Peak RSS of the binary against answers that never end (a 3 GB Content-Length, an endless
/// chunked body): the client must stop reading at its cap, with memory bounded.
fn flood() {
    let dir = tempfile::tempdir().unwrap();
    for (what, declared) in [
        ("3 GB declared", Some(3_000_000_000u64)),
        ("endless chunked", None),
    ] {
        let base = flood_server(declared);
        let (wall, exit, peak_kib, _) = measure(dir.path(), &base, &["catalog"]);
        // A process that ends before the first sample (20 ms) never read much.
        let rss = match peak_kib {
            0 => "not sampled: ended within 20 ms".to_owned(),
            kib => format!("{:.1} MiB", kib as f64 / 1024.0),
        };
        println!(
            "flood  {what:<16}: exit {exit:?} after {:.2}s; peak RSS {rss} (target: under 300 MiB)",
            wall.as_secs_f64(),
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let num = |i: usize| args.get(i).and_then(|s| s.parse::<u64>().ok());
    match args.first().map(String::as_str) {
        Some("plan") => run(
            Job::Plan,
            num(1).unwrap_or(2000) as usize,
            num(2).unwrap_or(20),
            num(3).unwrap_or(0) as u32,
        ),
        Some("flood") => flood(),
        Some("apply") => run(
            Job::Apply,
            num(1).unwrap_or(500) as usize,
            num(2).unwrap_or(20),
            0,
        ),
        _ => {
            run(Job::Plan, 1_000, 20, 0);
            run(Job::Plan, 2_000, 20, 0);
            run(Job::Plan, 10_000, 20, 0);
            run(Job::Apply, 500, 20, 0);
            run(Job::Apply, 1_000, 20, 0);
            run(Job::Plan, 2_000, 20, 100);
            flood();
        }
    }
}
