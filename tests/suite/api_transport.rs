//! The client's transport against a scripted fixture server: authentication, renewal, retries,
//! rate limits, the never-retried order save, refusals, and secrets kept out of logs.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::support::scripted::{
    CLIENT_ID, Fixture, Recorded, Reply, SECRET, TOKEN, client, config, token_reply,
};
use entitle::api::{ApiError, Client, Credentials, SaveOutcome};
use entitle::model::{Id, OrderStatus, ProductId};
use entitle::wire::{OrderBody, OrderLine};
use serde_json::json;

const PRODUCTS: &str = "/pricing/openapi/purchase/v1/product_list";
const SAVE: &str = "/order/openapi/order/v1/save";
const AUTO_RENEW_ON: &str = "/product/openapi/instance_subscription/v1/active";
const DETAIL: &str = "/product/openapi/instance_product/v1/detail";
const CONTACTS: &str = "/user/openapi/user/v1/client/billing_contact_list";

fn products_reply() -> Reply {
    Reply::ok(json!([{"productId": 12, "name": "P-Series Software Edition"}]))
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Seed 000: PSE 3651D3296882 on Enterprise Plan subscribes Hotel PMS Integration.
fn seed_000() -> OrderBody {
    OrderBody {
        operation_type: "purchase_service".into(),
        product_id: 12,
        product_no: "3651D3296882".into(),
        billing_id: Id(3197218168379846218),
        po_number: Some("ent-3f9c0a7d1b2e4c55".into()),
        service_list: vec![OrderLine {
            connection_plan_id: Some(Id(3049040650094403584)),
            service_type: "service".into(),
            service_id: Id(3115983610256539648),
            quantity: None,
            purchase_type: "purchase".into(),
            billing_model: Some("recurring".into()),
            billing_cycle: Some("annually".into()),
            multi_cycle: Some(0),
        }],
    }
}

fn placed_reply() -> Reply {
    Reply::ok(
        json!({"instanceId": "1088407", "orderNo": "UO3206271046934061056",
        "orderStatus": "succeed", "productNo": "3651D3296882", "transactionNo": "DA3206271048116854785"}),
    )
}

#[tokio::test]
async fn token_request_then_bearer_on_every_call_with_user_agent() {
    let fx = Fixture::builder()
        .on(PRODUCTS, vec![products_reply()])
        .start()
        .await;
    let c = client(&fx.base_url);
    let products = c.products().await.unwrap();
    assert_eq!(
        products,
        vec![(ProductId(12), "P-Series Software Edition".to_owned())]
    );
    c.products().await.unwrap();

    assert_eq!(
        fx.lines(),
        [
            format!("POST {TOKEN}"),
            format!("GET {PRODUCTS}"),
            format!("GET {PRODUCTS}")
        ]
    );
    let reqs = fx.requests();
    assert_eq!(
        reqs[0].form(),
        pairs(&[
            ("client_id", CLIENT_ID),
            ("client_secret", SECRET),
            ("grant_type", "pp_credentials")
        ])
    );
    assert_eq!(
        reqs[0].header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(reqs[0].header("authorization"), None);
    for r in &reqs {
        assert_eq!(
            r.header("user-agent"),
            Some(concat!("entitle/", env!("CARGO_PKG_VERSION")))
        );
    }
    assert_eq!(reqs[1].header("authorization"), Some("Bearer tok-1"));
    assert_eq!(reqs[2].header("authorization"), Some("Bearer tok-1"));
    let s = c.stats();
    assert_eq!((s.sent, s.token_requests, s.retried), (3, 1, 0));
}

// tokio's paused clock: timers fire in virtual time, exactly, without real waiting.
#[tokio::test(start_paused = true)]
async fn renews_with_the_refresh_token_before_expiry() {
    let fx = Fixture::builder()
        .expires_in("1")
        .on(PRODUCTS, vec![products_reply()])
        .start()
        .await;
    let c = client(&fx.base_url);
    c.products().await.unwrap();
    // A 1 s token is renewed 0.1 s before it expires.
    tokio::time::advance(Duration::from_millis(950)).await;
    c.products().await.unwrap();

    let reqs = fx.requests();
    assert_eq!(
        fx.lines(),
        [
            format!("POST {TOKEN}"),
            format!("GET {PRODUCTS}"),
            format!("POST {TOKEN}"),
            format!("GET {PRODUCTS}")
        ]
    );
    assert_eq!(
        reqs[2].form(),
        pairs(&[("grant_type", "refresh_token"), ("refresh_token", "ref-1")])
    );
    assert_eq!(reqs[3].header("authorization"), Some("Bearer tok-2"));
}

// tokio's paused clock: timers fire in virtual time, exactly, without real waiting.
#[tokio::test(start_paused = true)]
async fn a_failed_renewal_falls_back_to_a_fresh_token_request() {
    let fx = Fixture::builder()
        .on(
            TOKEN,
            vec![
                token_reply("tok-a", "ref-a", "1"),
                Reply::error(401, "token_invalid", "refresh token revoked"),
                token_reply("tok-b", "ref-b", "1800"),
            ],
        )
        .on(PRODUCTS, vec![products_reply()])
        .start()
        .await;
    let c = client(&fx.base_url);
    c.products().await.unwrap();
    tokio::time::advance(Duration::from_millis(950)).await;
    c.products().await.unwrap();

    let tokens = fx.requests_to(TOKEN);
    assert_eq!(tokens.len(), 3);
    assert_eq!(
        tokens[1].form()[0],
        ("grant_type".into(), "refresh_token".into())
    );
    assert_eq!(
        tokens[2].form()[2],
        ("grant_type".into(), "pp_credentials".into())
    );
    assert_eq!(
        fx.requests_to(PRODUCTS)[1].header("authorization"),
        Some("Bearer tok-b")
    );
}

#[tokio::test]
async fn token_expired_renews_and_retries_exactly_once() {
    let fx = Fixture::builder()
        .on(
            PRODUCTS,
            vec![
                Reply::error(401, "token_expired", "access token expired"),
                products_reply(),
            ],
        )
        .start()
        .await;
    let c = client(&fx.base_url);
    c.products().await.unwrap();
    assert_eq!(
        fx.lines(),
        [
            format!("POST {TOKEN}"),
            format!("GET {PRODUCTS}"),
            format!("POST {TOKEN}"),
            format!("GET {PRODUCTS}")
        ]
    );
    let reqs = fx.requests();
    assert_eq!(reqs[2].form()[1], ("refresh_token".into(), "ref-1".into()));
    assert_eq!(reqs[3].header("authorization"), Some("Bearer tok-2"));
    assert_eq!(c.stats().retried, 1);

    // Refused again after renewal: reported, not retried a second time.
    let fx = Fixture::builder()
        .on(
            PRODUCTS,
            vec![Reply::error(401, "token_expired", "access token expired")],
        )
        .start()
        .await;
    let c = client(&fx.base_url);
    let err = c.products().await.unwrap_err();
    assert_eq!(err.code(), Some("token_expired"));
    assert_eq!(fx.requests_to(PRODUCTS).len(), 2);
}

#[tokio::test]
async fn invalid_client_is_fatal_and_says_where_credentials_come_from() {
    let fx = Fixture::builder()
        .on(
            TOKEN,
            vec![Reply::error(401, "invalid_client", "unknown client")],
        )
        .start()
        .await;
    let c = client(&fx.base_url);
    let err = c.products().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "POST /auth/openapi/v1/oauth/token: 401 invalid_client: unknown client; check \
         ENTITLE_CLIENT_ID and ENTITLE_CLIENT_SECRET (or ENTITLE_CREDENTIALS_FILE) (request \
         0123456789abcdef0123456789abcdef)"
    );
    assert!(err.is_auth());
    assert_eq!(fx.lines(), [format!("POST {TOKEN}")]);
}

// tokio's paused clock: timers fire in virtual time, exactly, without real waiting.
#[tokio::test(start_paused = true)]
async fn a_429_pauses_for_retry_after_then_succeeds() {
    let fx = Fixture::builder()
        .on(
            PRODUCTS,
            vec![
                Reply::error(429, "too_many_requests", "slow down").header("retry-after", "1"),
                products_reply(),
            ],
        )
        .start()
        .await;
    let c = client(&fx.base_url);
    let t0 = Instant::now();
    c.products().await.unwrap();
    let elapsed = t0.elapsed();
    assert!(
        elapsed >= Duration::from_secs(1),
        "Retry-After honoured: {elapsed:?}"
    );
    assert_eq!(fx.requests_to(PRODUCTS).len(), 2);
    let s = c.stats();
    assert_eq!((s.throttled, s.retried), (1, 1));
}

/// A 429 is the vendor pacing the client, not a failure: a read answered 429 again and again
/// (while other requests go through) is retried 16 times besides the retries for failures,
/// and only then reported.
#[tokio::test(start_paused = true)]
async fn a_read_throttled_again_and_again_is_retried_until_its_own_budget_ends() {
    let throttled =
        || Reply::error(429, "too_many_requests", "slow down").header("retry-after", "0");
    let mut replies = vec![throttled(); 16];
    replies.push(products_reply());
    let fx = Fixture::builder().on(PRODUCTS, replies).start().await;
    let c = client(&fx.base_url);
    c.products().await.unwrap();
    assert_eq!(fx.requests_to(PRODUCTS).len(), 17);
    assert_eq!(c.stats().throttled, 16);

    let fx = Fixture::builder()
        .on(PRODUCTS, vec![throttled()])
        .start()
        .await;
    let c = client(&fx.base_url);
    let err = c.products().await.unwrap_err();
    assert!(err.is_rate_limited(), "{err}");
    assert_eq!(fx.requests_to(PRODUCTS).len(), 17);
}

// tokio's paused clock: timers fire in virtual time, exactly, without real waiting.
#[tokio::test(start_paused = true)]
async fn reads_are_retried_on_server_faults_and_timeouts() {
    let fx = Fixture::builder()
        .on(
            PRODUCTS,
            vec![
                Reply::error(500, "internal_error", ""),
                Reply::raw(502, "<html>bad gateway</html>"),
                Reply::raw(200, "{}").delayed(Duration::from_secs(2)),
                products_reply(),
            ],
        )
        .start()
        .await;
    let mut cfg = config(&fx.base_url);
    cfg.timeout = Duration::from_millis(400);
    let c = Client::new(cfg).unwrap();
    assert_eq!(c.products().await.unwrap().len(), 1);
    assert_eq!(fx.requests_to(PRODUCTS).len(), 4);
    assert_eq!(c.stats().retried, 3);
}

#[tokio::test(start_paused = true)]
async fn reads_give_up_after_max_retries_with_the_last_error() {
    let fx = Fixture::builder()
        .on(
            PRODUCTS,
            vec![Reply::error(503, "internal_error", "maintenance")],
        )
        .start()
        .await;
    let mut cfg = config(&fx.base_url);
    cfg.max_retries = 2;
    let c = Client::new(cfg).unwrap();
    let err = c.products().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "GET /pricing/openapi/purchase/v1/product_list: 503 internal_error: maintenance \
         (request 0123456789abcdef0123456789abcdef)"
    );
    assert_eq!(fx.requests_to(PRODUCTS).len(), 3);
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let fx = Fixture::builder()
        .on(PRODUCTS, vec![Reply::error(403, "forbidden", "")])
        .start()
        .await;
    let c = client(&fx.base_url);
    let err = c.products().await.unwrap_err();
    assert!(err.is_forbidden());
    assert_eq!(fx.requests_to(PRODUCTS).len(), 1);
}

#[tokio::test]
async fn order_save_placed_sends_the_exact_body() {
    let fx = Fixture::builder()
        .on(SAVE, vec![placed_reply()])
        .start()
        .await;
    let c = client(&fx.base_url);
    let outcome = c.save_order(&seed_000()).await;
    assert_eq!(
        outcome,
        SaveOutcome::Placed {
            order_no: "UO3206271046934061056".into(),
            status: OrderStatus::Succeed,
            request_id: "59d974128ae8b000e0ab1a907dc96a13".into(),
        }
    );
    let saves = fx.requests_to(SAVE);
    assert_eq!(saves.len(), 1);
    assert_eq!(saves[0].method, "POST");
    assert_eq!(saves[0].header("content-type"), Some("application/json"));
    assert_eq!(saves[0].header("authorization"), Some("Bearer tok-1"));
    // IDs travel as exact JSON numbers, as in the seeds.
    assert_eq!(
        saves[0].body,
        r#"{"operationType":"purchase_service","productId":12,"productNo":"3651D3296882","billingId":3197218168379846218,"poNumber":"ent-3f9c0a7d1b2e4c55","serviceList":[{"connectionPlanId":3049040650094403584,"serviceType":"service","serviceId":3115983610256539648,"purchaseType":"purchase","billingModel":"recurring","billingCycle":"annually","multiCycle":0}]}"#
    );
}

#[tokio::test]
async fn order_save_is_never_retried_on_a_server_fault() {
    let fx = Fixture::builder()
        .on(
            SAVE,
            vec![Reply::error(500, "internal_error", "oops"), placed_reply()],
        )
        .start()
        .await;
    let c = client(&fx.base_url);
    let outcome = c.save_order(&seed_000()).await;
    let SaveOutcome::Unknown(err) = outcome else {
        panic!("expected Unknown, got {outcome:?}");
    };
    assert_eq!(err.status(), Some(500));
    assert_eq!(fx.requests_to(SAVE).len(), 1);
    assert_eq!(c.stats().retried, 0);
}

#[tokio::test(start_paused = true)]
async fn order_save_timeout_is_unknown_and_not_retried() {
    let fx = Fixture::builder()
        .on(
            SAVE,
            vec![
                placed_reply().delayed(Duration::from_secs(2)),
                placed_reply(),
            ],
        )
        .start()
        .await;
    let mut cfg = config(&fx.base_url);
    cfg.timeout = Duration::from_millis(300);
    let c = Client::new(cfg).unwrap();
    let outcome = c.save_order(&seed_000()).await;
    assert!(
        matches!(&outcome, SaveOutcome::Unknown(ApiError::Timeout { .. })),
        "{outcome:?}"
    );
    assert_eq!(fx.requests_to(SAVE).len(), 1);
}

#[tokio::test]
async fn order_save_with_connection_dropped_is_unknown() {
    let (base, dropped) = crate::support::scripted::dropping_server().await;
    let c = client(&base);
    let outcome = c.save_order(&seed_000()).await;
    let SaveOutcome::Unknown(err) = &outcome else {
        panic!("expected Unknown, got {outcome:?}");
    };
    assert!(matches!(err, ApiError::Transport { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("POST /order/openapi/order/v1/save: connection failed: "),
        "{err}"
    );
    assert_eq!(dropped.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn order_save_refused_by_a_rule_is_refused_with_code_and_request_id() {
    let fx = Fixture::builder()
        .on(
            SAVE,
            vec![Reply::error(
                400,
                "business_rule_violation",
                "rule 2: Disaster Recovery requires Ultimate Plan",
            )],
        )
        .start()
        .await;
    let c = client(&fx.base_url);
    let outcome = c.save_order(&seed_000()).await;
    let SaveOutcome::Refused(err) = &outcome else {
        panic!("expected Refused, got {outcome:?}");
    };
    assert_eq!(
        err.to_string(),
        "POST /order/openapi/order/v1/save: 400 business_rule_violation: rule 2: Disaster \
         Recovery requires Ultimate Plan (request 0123456789abcdef0123456789abcdef)"
    );
    assert_eq!(err.request_id(), Some("0123456789abcdef0123456789abcdef"));
    assert_eq!(fx.requests_to(SAVE).len(), 1);
}

#[tokio::test]
async fn order_save_rate_limited_is_unknown_and_never_resent() {
    let fx = Fixture::builder()
        .on(
            SAVE,
            vec![Reply::error(429, "too_many_requests", "").header("retry-after", "1")],
        )
        .start()
        .await;
    let c = client(&fx.base_url);
    let outcome = c.save_order(&seed_000()).await;
    assert!(
        // A vendor may answer 429 after it committed: only evidence tells.
        matches!(&outcome, SaveOutcome::Unknown(e) if e.is_rate_limited()),
        "{outcome:?}"
    );
    assert_eq!(fx.requests_to(SAVE).len(), 1);
}

#[tokio::test]
async fn order_save_with_an_unreadable_success_is_unknown() {
    let fx = Fixture::builder()
        .on(SAVE, vec![Reply::ok(json!({"orderStatus": "succeed"}))])
        .start()
        .await;
    let c = client(&fx.base_url);
    let outcome = c.save_order(&seed_000()).await;
    let SaveOutcome::Unknown(err) = &outcome else {
        panic!("expected Unknown, got {outcome:?}");
    };
    assert!(err.to_string().contains("field `orderNo`"), "{err}");
    assert_eq!(err.request_id(), Some("59d974128ae8b000e0ab1a907dc96a13"));
}

#[tokio::test]
async fn order_save_answered_token_expired_is_unknown_and_never_resent() {
    // A vendor may check the token after it committed the order: a re-send with a new token
    // could buy twice, so the answer leaves the outcome open, to be resolved by evidence.
    for (status, code) in [
        (401, "token_expired"),
        (200, "token_expired"),
        (401, "token_invalid"),
    ] {
        let fx = Fixture::builder()
            .on(
                SAVE,
                vec![
                    Reply::raw(
                        status,
                        json!({"code": code, "detailMessage": "access token expired",
                               "requestId": "ab", "result": null})
                        .to_string(),
                    ),
                    placed_reply(),
                ],
            )
            .start()
            .await;
        let c = client(&fx.base_url);
        let outcome = c.save_order(&seed_000()).await;
        assert!(
            matches!(&outcome, SaveOutcome::Unknown(e) if e.code() == Some(code)),
            "{status} {code}: {outcome:?}"
        );
        assert_eq!(fx.requests_to(SAVE).len(), 1, "{status} {code}");
    }
}

#[tokio::test]
async fn order_save_answers_that_say_two_things_or_time_out_are_unknown() {
    for reply in [
        // The envelope repeats `code`: a map keeps the last one, which may be the wrong one.
        Reply::raw(
            200,
            r#"{"code":"success","requestId":"ab","result":{},"code":"business_rule_violation"}"#
                .to_owned(),
        ),
        Reply::error(408, "request_timeout", "too slow"),
        Reply::error(400, "too_many_requests", ""),
    ] {
        let fx = Fixture::builder().on(SAVE, vec![reply]).start().await;
        let outcome = client(&fx.base_url).save_order(&seed_000()).await;
        assert!(matches!(&outcome, SaveOutcome::Unknown(_)), "{outcome:?}");
        assert_eq!(fx.requests_to(SAVE).len(), 1);
    }
}

#[tokio::test(start_paused = true)]
async fn order_save_that_cannot_connect_is_not_sent() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let mut cfg = config(&format!("http://{addr}"));
    cfg.max_retries = 1;
    let c = Client::new(cfg).unwrap();
    let outcome = c.save_order(&seed_000()).await;
    assert!(
        matches!(&outcome, SaveOutcome::NotSent(ApiError::Connect { .. })),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn enabling_auto_renewal_is_idempotent_so_it_is_retried() {
    let fx = Fixture::builder()
        .on(
            AUTO_RENEW_ON,
            vec![
                Reply::error(503, "internal_error", ""),
                Reply::ok(json!(true)),
            ],
        )
        .start()
        .await;
    let c = client(&fx.base_url);
    c.enable_auto_renew(ProductId(12), "3651D3296882", Id(3049040650094403584))
        .await
        .unwrap();
    let calls = fx.requests_to(AUTO_RENEW_ON);
    assert_eq!(calls.len(), 2);
    assert_eq!(
        calls[1].body,
        r#"{"productNo":"3651D3296882","productId":"12","planOrServiceId":3049040650094403584}"#
    );
}

// tokio's paused clock: timers fire in virtual time, exactly, without real waiting.
#[tokio::test(start_paused = true)]
async fn concurrency_is_bounded_and_the_rate_is_limited() {
    let fx = Fixture::builder()
        .on(
            PRODUCTS,
            vec![products_reply().delayed(Duration::from_millis(100))],
        )
        .start()
        .await;
    let mut cfg = config(&fx.base_url);
    cfg.concurrency = 2;
    cfg.rate_per_sec = 20.0;
    let c = Client::new(cfg).unwrap();
    let t0 = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..30 {
        let c = c.clone();
        set.spawn(async move { c.products().await.unwrap() });
    }
    while set.join_next().await.is_some() {}
    assert_eq!(fx.max_in_flight(), 2);
    // 31 requests (a token and 30 reads) at 20/s after a burst of 20: 0.55 s; but 2 at a time
    // for 0.1 s each: 15 rounds, 1.5 s.
    assert_eq!(t0.elapsed(), Duration::from_millis(1500));
}

#[test]
fn plain_http_is_refused_except_to_this_machine() {
    let err = Client::new(config("http://openapi.partner.yeastar.com")).unwrap_err();
    assert!(matches!(err, ApiError::InsecureBaseUrl { .. }));
    assert!(err.to_string().starts_with(
        "refusing plain http:// to `http://openapi.partner.yeastar.com`: credentials would travel unencrypted"
    ));
    for ok in [
        "http://127.0.0.1:9",
        "http://localhost:9",
        "http://[::1]:9",
        "https://example.com",
    ] {
        Client::new(config(ok)).unwrap();
    }
}

#[cfg(unix)]
#[test]
fn a_credentials_file_readable_by_others_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("creds");
    std::fs::write(
        &path,
        format!("client_id={CLIENT_ID}\nclient_secret={SECRET}\n"),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let file = path.to_str().unwrap().to_owned();
    let vars = |k: &str| (k == "ENTITLE_CREDENTIALS_FILE").then(|| file.clone());
    let err = Credentials::from_vars(vars).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "credentials file {file} is accessible by group or others (mode 0644); run `chmod 600 {file}`"
        )
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let creds = Credentials::from_vars(vars).unwrap();
    assert_eq!(creds.client_id, CLIENT_ID);
    assert_eq!(creds.client_secret.expose(), SECRET);
    assert!(!format!("{creds:?}").contains(SECRET));
}

#[derive(Clone)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything logged on this thread, at every level, until [`TraceCapture::finish`].
struct TraceCapture {
    buf: Captured,
    _anchor: tracing::Dispatch,
    guard: tracing::dispatcher::DefaultGuard,
}

impl TraceCapture {
    fn start() -> TraceCapture {
        let buf = Captured(Arc::new(Mutex::new(Vec::new())));
        let writer = buf.clone();
        let capture = tracing::Dispatch::new(
            tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_ansi(false)
                .with_writer(move || writer.clone())
                .finish(),
        );
        // tracing caches each callsite's interest process-wide. With one registered dispatcher
        // it asks the thread that first hits the callsite: a sibling test with no subscriber
        // would cache `never`, and this capture would miss the event. A second registered
        // dispatcher makes tracing ask every registered one, this capture included.
        let anchor = tracing::Dispatch::new(tracing_subscriber::registry());
        tracing::callsite::rebuild_interest_cache();
        let guard = tracing::dispatcher::set_default(&capture);
        TraceCapture {
            buf,
            _anchor: anchor,
            guard,
        }
    }

    /// Stops capturing; returns what was logged.
    fn finish(self) -> String {
        drop(self.guard);
        String::from_utf8(self.buf.0.lock().unwrap().clone()).unwrap()
    }
}

#[tokio::test]
async fn secrets_and_tokens_never_reach_logs_errors_or_debug_output() {
    let capture = TraceCapture::start();

    let fx = Fixture::builder()
        .on(
            TOKEN,
            vec![
                token_reply("tok-SENSITIVE-1", "ref-SENSITIVE-1", "1800"),
                Reply::error(401, "token_invalid", "revoked"),
                token_reply("tok-SENSITIVE-2", "ref-SENSITIVE-2", "1800"),
            ],
        )
        .on(
            PRODUCTS,
            vec![
                Reply::error(401, "token_expired", ""),
                Reply::error(500, "internal_error", ""),
                products_reply(),
            ],
        )
        .on(
            SAVE,
            vec![Reply::error(400, "business_rule_violation", "rule 7")],
        )
        .start()
        .await;
    let cfg = config(&fx.base_url);
    let debug_cfg = format!("{cfg:?}");
    let c = Client::new(cfg).unwrap();
    c.products().await.unwrap();
    let outcome = c.save_order(&seed_000()).await;
    let rendered = format!(
        "{outcome:?} {}",
        match &outcome {
            SaveOutcome::NotSent(e) | SaveOutcome::Refused(e) | SaveOutcome::Unknown(e) => {
                e.to_string()
            }
            SaveOutcome::Placed { .. } => String::new(),
        }
    );
    let logs = capture.finish();
    // The capture works: every request is logged with its path and status.
    assert!(logs.contains("api request"), "{logs}");
    assert!(logs.contains(PRODUCTS), "{logs}");
    assert!(logs.contains("status=401"), "{logs}");
    for secret in [SECRET, "tok-SENSITIVE", "ref-SENSITIVE"] {
        assert!(!logs.contains(secret), "`{secret}` in logs:\n{logs}");
        assert!(!debug_cfg.contains(secret), "`{secret}` in {debug_cfg}");
        assert!(!rendered.contains(secret), "`{secret}` in {rendered}");
    }
    assert!(debug_cfg.contains("Secret(***)"), "{debug_cfg}");
    // Every request that reached the server carried the secret only where it belongs.
    let reqs: Vec<Recorded> = fx.requests();
    assert!(reqs.iter().any(|r| r.body.contains(SECRET)));
}

#[tokio::test]
async fn answers_logged_at_trace_level_are_redacted() {
    let capture = TraceCapture::start();
    let fx = Fixture::builder()
        .on(
            DETAIL,
            vec![Reply::ok(json!({
                "activationCode": "QWER-TYUI", "activationStatus": "activated",
                "comment": "Hooli HQ", "createTime": "1739250000",
                "currentPlan": "Enterprise Plan", "currentPlanExpireDate": ""
            }))],
        )
        .on(
            CONTACTS,
            vec![Reply::ok(json!([{
                "billingContactId": "3197218168379846218",
                "emailAddress": "gavin@hooli.example", "firstName": "Gavin",
                "phoneNumber": "+1 555 0199", "country": "US"
            }]))],
        )
        .start()
        .await;
    let c = client(&fx.base_url);
    c.instance(ProductId(12), "3651D3296882").await.unwrap();
    c.billing_contacts().await.unwrap();
    let logs = capture.finish();
    // Both answers are logged, with what is no one's secret kept.
    for logged in [
        "api response",
        DETAIL,
        CONTACTS,
        r#""activationCode":"<redacted>""#,
        r#""emailAddress":"<redacted>""#,
        "Enterprise Plan",
        "3197218168379846218",
    ] {
        assert!(logs.contains(logged), "no `{logged}` in:\n{logs}");
    }
    for private in [
        "QWER-TYUI",
        "Hooli HQ",
        "gavin@hooli.example",
        "Gavin",
        "+1 555 0199",
        SECRET,
        "tok-1",
        "ref-1",
    ] {
        assert!(!logs.contains(private), "`{private}` in:\n{logs}");
    }
}

#[tokio::test]
async fn order_save_classifies_error_codes_under_http_200() {
    // A refusal code in the envelope of a 200 is a refusal.
    let fx = Fixture::builder()
        .on(
            SAVE,
            vec![Reply::raw(
                200,
                json!({"code": "business_rule_violation", "detailMessage": "rule 3",
                       "requestId": "ab", "result": null, "status": 400})
                .to_string(),
            )],
        )
        .start()
        .await;
    let outcome = client(&fx.base_url).save_order(&seed_000()).await;
    assert!(matches!(&outcome, SaveOutcome::Refused(_)), "{outcome:?}");
    // An unknown code under a 200, or internal_error under a 4xx, leaves the outcome open.
    for (status, code) in [(200, "something_new"), (400, "internal_error")] {
        let fx = Fixture::builder()
            .on(
                SAVE,
                vec![Reply::raw(
                    status,
                    json!({"code": code, "detailMessage": "", "requestId": "ab", "result": null})
                        .to_string(),
                )],
            )
            .start()
            .await;
        let outcome = client(&fx.base_url).save_order(&seed_000()).await;
        assert!(
            matches!(&outcome, SaveOutcome::Unknown(_)),
            "{status} {code}: {outcome:?}"
        );
        assert_eq!(fx.requests_to(SAVE).len(), 1);
    }
}

#[tokio::test]
async fn concurrent_callers_share_one_token_request_and_its_failure() {
    let fx = Fixture::builder()
        .on(PRODUCTS, vec![products_reply()])
        .start()
        .await;
    let c = client(&fx.base_url);
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let c = c.clone();
        set.spawn(async move { c.products().await.unwrap() });
    }
    while set.join_next().await.is_some() {}
    assert_eq!(fx.requests_to(TOKEN).len(), 1);

    let fx = Fixture::builder()
        .on(TOKEN, vec![Reply::error(401, "invalid_client", "")])
        .start()
        .await;
    let c = client(&fx.base_url);
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let c = c.clone();
        set.spawn(async move { c.products().await.unwrap_err() });
    }
    while let Some(r) = set.join_next().await {
        assert_eq!(r.unwrap().code(), Some("invalid_client"));
    }
    assert_eq!(fx.requests_to(TOKEN).len(), 1);
}

#[tokio::test]
async fn an_answer_larger_than_any_real_one_is_refused_with_memory_bounded() {
    // Declared as 3 GB: refused before a byte of the body is read.
    let (base, _) = crate::support::scripted::flooding_server(Some(3_000_000_000)).await;
    let err = client(&base).products().await.unwrap_err();
    assert!(
        err.to_string().contains(
            "the answer is declared as 3000000000 bytes, more than the 8 MiB any answer of this API needs; not read"
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("GET /pricing/openapi/purchase/v1/product_list")
    );

    // Chunked and endless: read up to the cap, then refused; the server saw the reader stop.
    let (base, written) = crate::support::scripted::flooding_server(None).await;
    let err = client(&base).products().await.unwrap_err();
    assert!(
        err.to_string()
            .contains("the answer is still coming, more than the 8 MiB"),
        "{err}"
    );
    let sent = written.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        sent < 64 * 1024 * 1024,
        "the client stopped reading: {sent} bytes sent"
    );

    // An order whose answer floods may have been placed: unknown, never re-sent.
    let (base, _) = crate::support::scripted::flooding_server(None).await;
    let outcome = client(&base).save_order(&seed_000()).await;
    assert!(matches!(outcome, SaveOutcome::Unknown(_)), "{outcome:?}");
}
