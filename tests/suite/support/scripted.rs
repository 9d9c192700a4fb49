//! A scripted Partner API for the client's tests: answers raw JSON written from the contract
//! (never the sandbox, so a sandbox bug cannot hide a client bug) and records every request
//! (method, path, query, headers, body).
//!
//! Replies are scripted per path and consumed in order, the last one repeating. The token path
//! answers fresh tokens `tok-N` / `ref-N` unless scripted.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub(crate) const TOKEN: &str = "/auth/openapi/v1/oauth/token";
pub(crate) use super::{CLIENT_ID, SECRET};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Recorded {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    /// Decoded query or form pairs.
    pub(crate) fn pairs(text: &str) -> Vec<(String, String)> {
        text.split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k), decode(v))
            })
            .collect()
    }
    pub(crate) fn query_pairs(&self) -> Vec<(String, String)> {
        Self::pairs(&self.query)
    }
    /// The page a paged request asked for (`pageNo`), if it named one.
    pub(crate) fn page_no(&self) -> Option<u64> {
        self.query_pairs()
            .into_iter()
            .find(|(k, _)| k == "pageNo")
            .map(|(_, v)| v.parse().expect("pageNo is a number"))
    }
    pub(crate) fn form(&self) -> Vec<(String, String)> {
        Self::pairs(&self.body)
    }
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("request body is JSON")
    }
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// A scripted answer.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub delay: Duration,
}

pub(crate) fn request_id(n: usize) -> String {
    format!("{n:032x}")
}

impl Reply {
    /// A success envelope around `result`.
    pub(crate) fn ok(result: Value) -> Reply {
        Reply::raw(
            200,
            json!({"code": "success", "detailMessage": "", "requestId": "59d974128ae8b000e0ab1a907dc96a13",
                   "result": result, "status": 200})
            .to_string(),
        )
    }
    /// An error envelope.
    pub(crate) fn error(status: u16, code: &str, detail: &str) -> Reply {
        Reply::raw(
            status,
            json!({"code": code, "detailMessage": detail, "requestId": "0123456789abcdef0123456789abcdef",
                   "result": null, "status": status})
            .to_string(),
        )
    }
    pub(crate) fn raw(status: u16, body: impl Into<String>) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.into(),
            delay: Duration::ZERO,
        }
    }
    pub(crate) fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }
    pub(crate) fn delayed(mut self, d: Duration) -> Reply {
        self.delay = d;
        self
    }
}

/// A token response as the contract shows it (`expiresIn` a string).
pub(crate) fn token_reply(token: &str, refresh: &str, expires_in: &str) -> Reply {
    Reply::ok(
        json!({"token": token, "tokenHead": "Bearer", "expiresIn": expires_in, "refreshToken": refresh}),
    )
}

type Script = Arc<dyn Fn(&Recorded, usize) -> Reply + Send + Sync>;

struct Shared {
    log: Mutex<Vec<Recorded>>,
    scripts: HashMap<String, Script>,
    tokens_issued: AtomicUsize,
    expires_in: String,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

/// Builds a [`Fixture`].
pub(crate) struct Builder {
    scripts: HashMap<String, Script>,
    expires_in: String,
}

impl Builder {
    /// Replies for `path`, in order; the last one repeats.
    pub(crate) fn on(self, path: &str, replies: Vec<Reply>) -> Builder {
        assert!(!replies.is_empty());
        self.on_fn(path, move |_, n| replies[n.min(replies.len() - 1)].clone())
    }
    /// A reply computed from the request and its index among the requests to `path`.
    pub(crate) fn on_fn(
        mut self,
        path: &str,
        f: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static,
    ) -> Builder {
        self.scripts.insert(path.to_owned(), Arc::new(f));
        self
    }
    /// Lifetime of the auto-issued tokens (default 1800).
    pub(crate) fn expires_in(mut self, secs: &str) -> Builder {
        self.expires_in = secs.to_owned();
        self
    }
    pub(crate) async fn start(self) -> Fixture {
        let shared = Arc::new(Shared {
            log: Mutex::new(Vec::new()),
            scripts: self.scripts,
            tokens_issued: AtomicUsize::new(0),
            expires_in: self.expires_in,
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        });
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Fixture {
            base_url: format!("http://{addr}"),
            shared,
        }
    }
}

pub(crate) struct Fixture {
    pub base_url: String,
    shared: Arc<Shared>,
}

impl Fixture {
    pub(crate) fn builder() -> Builder {
        Builder {
            scripts: HashMap::new(),
            expires_in: "1800".into(),
        }
    }
    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.shared.log.lock().unwrap().clone()
    }
    pub(crate) fn requests_to(&self, path: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }
    /// `METHOD path` of every request, in order.
    pub(crate) fn lines(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }
    pub(crate) fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }
}

async fn handle(
    State(st): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let rec = Recorded {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or_default().to_owned(),
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("<binary>").to_owned()))
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let index = {
        let mut log = st.log.lock().unwrap();
        let n = log.iter().filter(|r| r.path == rec.path).count();
        log.push(rec.clone());
        n
    };
    let now = st.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    st.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let reply = match st.scripts.get(&rec.path) {
        Some(script) => script(&rec, index),
        None if rec.path == TOKEN => {
            let n = st.tokens_issued.fetch_add(1, Ordering::SeqCst) + 1;
            token_reply(&format!("tok-{n}"), &format!("ref-{n}"), &st.expires_in)
        }
        None => Reply::error(404, "not_found", "no such path in the fixture"),
    };
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    st.in_flight.fetch_sub(1, Ordering::SeqCst);
    let mut h = HeaderMap::new();
    for (n, v) in &reply.headers {
        h.insert(
            HeaderName::from_bytes(n.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    (StatusCode::from_u16(reply.status).unwrap(), h, reply.body).into_response()
}

/// Reads one request (head, then `Content-Length` bytes of body) from `sock`, keeping what
/// follows in `buf`; returns its head, or `None` when the client hung up.
async fn read_request(sock: &mut tokio::net::TcpStream, buf: &mut Vec<u8>) -> Option<String> {
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        let mut chunk = [0u8; 4096];
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let len = head
        .lines()
        .find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let mut chunk = [0u8; 4096];
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    buf.drain(..head_end + len);
    Some(head)
}

/// Answers a token request with `tok-1`; false when the client hung up.
async fn answer_token(sock: &mut tokio::net::TcpStream) -> bool {
    let body = json!({"code": "success", "detailMessage": "", "requestId": request_id(1),
        "result": {"token": "tok-1", "tokenHead": "Bearer", "expiresIn": "1800", "refreshToken": "ref-1"},
        "status": 200}).to_string();
    let resp = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    sock.write_all(resp.as_bytes()).await.is_ok()
}

/// A bare HTTP/1.1 server below the HTTP libraries: token requests get `tok-1`; the first other
/// request on a connection is handed, read in full, to `other` with the socket and a counter
/// shared by all connections, and the connection is `other`'s from then on. Returns the base
/// URL and the counter.
async fn bare_server<F, Fut>(other: F) -> (String, Arc<AtomicUsize>)
where
    F: Fn(tokio::net::TcpStream, Arc<AtomicUsize>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let counter = Arc::new(AtomicUsize::new(0));
    let shared = counter.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let (counter, other) = (shared.clone(), other.clone());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                while let Some(head) = read_request(&mut sock, &mut buf).await {
                    if !head.starts_with(&format!("POST {TOKEN} ")) {
                        return other(sock, counter).await;
                    }
                    if !answer_token(&mut sock).await {
                        return;
                    }
                }
            });
        }
    });
    (format!("http://{addr}"), counter)
}

/// Answers token requests and, for any other request, reads it in full and closes the
/// connection without answering: the "connection dropped after the request was sent" case.
/// Returns its base URL and a counter of the requests it dropped.
pub(crate) async fn dropping_server() -> (String, Arc<AtomicUsize>) {
    bare_server(|_sock, dropped| async move {
        dropped.fetch_add(1, Ordering::SeqCst); // the socket is dropped: no answer
    })
    .await
}

/// Answers token requests and, for any other request, answers 200 with a body that never
/// ends: declared as `declared` bytes (`Content-Length`), or chunked when `None`. It writes
/// until the client hangs up. Returns its base URL and a counter of the body bytes it wrote.
pub(crate) async fn flooding_server(declared: Option<u64>) -> (String, Arc<AtomicUsize>) {
    bare_server(move |sock, written| flood(sock, written, declared)).await
}

async fn flood(mut sock: tokio::net::TcpStream, written: Arc<AtomicUsize>, declared: Option<u64>) {
    let framing = match declared {
        Some(n) => format!("content-length: {n}"),
        None => "transfer-encoding: chunked".to_owned(),
    };
    let head = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n{framing}\r\n\r\n");
    if sock.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    // The body: the start of an envelope whose result string never ends.
    let mut block = br#"{"code": "success", "result": ""#.to_vec();
    block.resize(64 * 1024, b'a');
    loop {
        let sent = match declared {
            Some(_) => sock.write_all(&block).await,
            None => {
                let mut framed = format!("{:x}\r\n", block.len()).into_bytes();
                framed.extend_from_slice(&block);
                framed.extend_from_slice(b"\r\n");
                sock.write_all(&framed).await
            }
        };
        if sent.is_err() {
            return;
        }
        written.fetch_add(block.len(), Ordering::SeqCst);
        block.fill(b'a');
    }
}

/// Client settings for tests: fast, small retry counts.
pub(crate) fn config(base_url: &str) -> entitle::api::ClientConfig {
    let mut cfg = entitle::api::ClientConfig::new(
        base_url,
        entitle::api::Credentials::new(CLIENT_ID, SECRET),
    );
    cfg.timeout = Duration::from_secs(5);
    cfg.connect_timeout = Duration::from_secs(2);
    cfg.rate_per_sec = 0.0;
    cfg
}

pub(crate) fn client(base_url: &str) -> entitle::api::Client {
    entitle::api::Client::new(config(base_url)).unwrap()
}
