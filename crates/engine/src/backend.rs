//! Where the journal and the lock live: the workspace directory (the default, no setup), or a
//! PostgreSQL database shared by a team (`ENTITLE_BACKEND=postgres://…`). On PostgreSQL:
//!
//! - the journal is an append-only table, one row per entry, scoped by vendor account; an
//!   intent's `INSERT` has committed (durably, `synchronous_commit` as the server has it) before
//!   its order is sent;
//! - the lock is a session advisory lock keyed by the vendor account (base URL and client ID),
//!   so every workspace applying to one account serializes, whatever directory or machine it
//!   runs from; a crashed holder releases it with its connection; who holds it is kept in a
//!   table for the message of whoever waits;
//! - the lock is fenced: whoever takes it bumps the account's fencing token
//!   (`entitle_lock_fence`), and every journal write checks, in its own transaction, that the
//!   token is still the one its apply took. An apply whose lock session ended (terminated, an
//!   `idle_session_timeout`, a restart) and whose lock another apply then took can write no
//!   intent, so it sends no order; one whose lock nobody took goes on safely, because a taker
//!   bumps the token (waiting for any write in progress) before it reads the journal;
//! - connections ping the server at half its `idle_session_timeout`, so a short one does not
//!   end them between phases; a journal whose connection ended reconnects once;
//! - the schema is created on first use and versioned (`entitle_schema`);
//! - the connection string is never shown with its password; TLS is required except to a
//!   loopback address.

use std::time::Duration;

use reqwest::Url;
use tokio_postgres::NoTls;

use crate::api::Secret;

/// The schema version this entitle writes and reads.
const SCHEMA_VERSION: i32 = 2;

/// Serializes schema creation between processes (an arbitrary constant).
const SCHEMA_LOCK: i64 = 0x656E_7469_746C_6501;

/// Where the journal and the lock live.
#[derive(Debug, Clone)]
pub enum Backend {
    /// `.entitle/journal.jsonl` and its lock file (the default).
    Files,
    Postgres(PgUrl),
}

/// A `postgres://` URL: the full one is secret; `shown` has no password.
#[derive(Clone)]
pub struct PgUrl {
    url: Secret,
    pub shown: String,
    loopback: bool,
}

impl std::fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

/// Why the backend could not be used.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error(
        "the backend `{0}` is not a postgres:// URL; leave ENTITLE_BACKEND unset for the workspace directory"
    )]
    NotPostgres(String),
    #[error("cannot connect to the backend {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error(
        "this apply lost the account's lock on the backend {url} (its database session ended) and another apply holds it now; no more orders are sent by this run: re-run `entitle apply` once the other has finished"
    )]
    LockLost { url: String },
    #[error("the backend {url} answered an error: {reason}")]
    Query { url: String, reason: String },
    #[error(
        "the backend {url} holds schema version {found}, newer than this entitle's {SCHEMA_VERSION}; upgrade entitle"
    )]
    NewerSchema { url: String, found: i32 },
    #[error(
        "another entitle apply is running against this account (lock held in {url} by {holder}); {next}"
    )]
    Busy {
        url: String,
        holder: String,
        next: String,
    },
}

impl Backend {
    /// `--backend` / `ENTITLE_BACKEND`: unset or empty is the workspace directory.
    pub fn parse(raw: Option<&str>) -> Result<Backend, BackendError> {
        let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(Backend::Files);
        };
        let url = Url::parse(raw).map_err(|_| BackendError::NotPostgres(redact(raw)))?;
        if !matches!(url.scheme(), "postgres" | "postgresql") {
            return Err(BackendError::NotPostgres(redact(raw)));
        }
        let host = url.host_str().unwrap_or("");
        // No host means a local Unix socket.
        let loopback = host.is_empty()
            || host == "localhost"
            || host
                .trim_matches(['[', ']'])
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        Ok(Backend::Postgres(PgUrl {
            url: Secret::new(raw),
            shown: redact(raw),
            loopback,
        }))
    }
}

/// A URL with its password replaced.
pub fn redact(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "<an unreadable URL>".to_owned(),
    }
}

/// A connection to the backend (TLS unless to this machine), its driver running in the
/// background until the client is dropped. `role` names it to the server
/// (`application_name`: `entitle lock`, `entitle journal`), so an operator sees who is who.
pub async fn connect(url: &PgUrl, role: &str) -> Result<tokio_postgres::Client, BackendError> {
    let err = |e: tokio_postgres::Error| BackendError::Connect {
        url: url.shown.clone(),
        reason: connect_reason(&e),
    };
    let mut cfg: tokio_postgres::Config = url.url.expose().parse().map_err(err)?;
    cfg.application_name(role);
    if url.loopback {
        let (client, conn) = cfg.connect(NoTls).await.map_err(err)?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(client)
    } else {
        use rustls_platform_verifier::ConfigVerifierExt;
        crate::tls::use_ring();
        let config =
            rustls::ClientConfig::with_platform_verifier().map_err(|e| BackendError::Connect {
                url: url.shown.clone(),
                reason: format!("no TLS roots: {e}"),
            })?;
        let tls = tokio_postgres_rustls::MakeRustlsConnect::new(config);
        // TLS is required: a server without it is refused, never used in clear.
        cfg.ssl_mode(tokio_postgres::config::SslMode::Require);
        let (client, conn) = cfg.connect(tls).await.map_err(err)?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(client)
    }
}

/// Why a connection failed, in the server's words ("database \"x\" does not exist") rather
/// than the driver's "db error", with the next step where one is known.
fn connect_reason(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) if *d.code() == tokio_postgres::error::SqlState::INVALID_CATALOG_NAME => format!(
            "{}; create it (`createdb`) or correct the database name in ENTITLE_BACKEND",
            d.message()
        ),
        Some(d) => d.message().to_owned(),
        None => {
            let mut last: &dyn std::error::Error = e;
            while let Some(next) = last.source() {
                last = next;
            }
            if std::ptr::addr_eq(last, e) {
                e.to_string()
            } else {
                format!("{e}: {last}")
            }
        }
    }
}

/// Whether an error says the connection itself ended (the server closed it, or said it is
/// ending it: an administrator, a shutdown, an idle timeout), so a new one may do better.
fn connection_gone(e: &tokio_postgres::Error) -> bool {
    use tokio_postgres::error::SqlState;
    e.is_closed()
        || e.code().is_some_and(|c| {
            [
                SqlState::ADMIN_SHUTDOWN,
                SqlState::CRASH_SHUTDOWN,
                SqlState::IDLE_SESSION_TIMEOUT,
                SqlState::IDLE_IN_TRANSACTION_SESSION_TIMEOUT,
            ]
            .contains(c)
        })
}

/// How often a connection pings the server: at half its `idle_session_timeout`, or never when
/// it has none (or is older than the setting).
async fn ping_interval(client: &tokio_postgres::Client) -> Option<Duration> {
    let row = client
        .query_opt(
            "SELECT setting FROM pg_settings WHERE name = 'idle_session_timeout'",
            &[],
        )
        .await
        .ok()??;
    let ms: u64 = row.get::<_, String>(0).parse().ok()?;
    (ms > 0).then(|| Duration::from_millis((ms / 2).max(50)))
}

fn query_err(url: &PgUrl) -> impl Fn(tokio_postgres::Error) -> BackendError + '_ {
    move |e| BackendError::Query {
        url: url.shown.clone(),
        reason: e
            .as_db_error()
            .map_or_else(|| e.to_string(), |d| d.message().to_owned()),
    }
}

/// Creates the schema on first use, under a transaction-scoped advisory lock so that two
/// first runs do not race; refuses a newer schema.
pub async fn ensure_schema(
    client: &mut tokio_postgres::Client,
    url: &PgUrl,
) -> Result<(), BackendError> {
    let q = query_err(url);
    let tx = client.transaction().await.map_err(&q)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
        .await
        .map_err(&q)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS entitle_schema (version integer NOT NULL);
         CREATE TABLE IF NOT EXISTS entitle_journal (
             seq bigserial PRIMARY KEY,
             account text NOT NULL,
             entry text NOT NULL,
             written_at timestamptz NOT NULL DEFAULT now());
         CREATE INDEX IF NOT EXISTS entitle_journal_by_account ON entitle_journal (account, seq);
         CREATE TABLE IF NOT EXISTS entitle_lock_holders (
             account text PRIMARY KEY,
             holder text NOT NULL,
             since timestamptz NOT NULL DEFAULT now());
         CREATE TABLE IF NOT EXISTS entitle_lock_fence (
             account text PRIMARY KEY,
             token bigint NOT NULL);",
    )
    .await
    .map_err(&q)?;
    let found: Option<i32> = tx
        .query_opt("SELECT max(version) FROM entitle_schema", &[])
        .await
        .map_err(&q)?
        .and_then(|r| r.get(0));
    match found {
        None => {
            tx.execute(
                "INSERT INTO entitle_schema (version) VALUES ($1)",
                &[&SCHEMA_VERSION],
            )
            .await
            .map_err(&q)?;
        }
        Some(v) if v > SCHEMA_VERSION => {
            return Err(BackendError::NewerSchema {
                url: url.shown.clone(),
                found: v,
            });
        }
        // Version 1 had no fencing table: it is created above; from now on an entitle that
        // does not fence refuses the database.
        Some(v) if v < SCHEMA_VERSION => {
            tx.execute(
                "INSERT INTO entitle_schema (version) VALUES ($1)",
                &[&SCHEMA_VERSION],
            )
            .await
            .map_err(&q)?;
        }
        Some(_) => {}
    }
    tx.commit().await.map_err(&q)
}

/// The journal of one vendor account in the database.
pub struct PgJournal {
    client: tokio_postgres::Client,
    url: PgUrl,
    account: String,
    /// The key an older entitle filed this account's rows under, read too (see
    /// `Client::legacy_account_key`); rows are written under `account` only.
    legacy: Option<String>,
    /// The fencing token of the lock this journal writes under (`None`: no lock, e.g. a
    /// migration that holds it some other way, or a read-only look).
    fence: Option<i64>,
}

impl std::fmt::Debug for PgJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgJournal({}, {})", self.url.shown, self.account)
    }
}

impl PgJournal {
    /// Connects, creating the schema on first use.
    pub async fn open(url: &PgUrl, account: &str) -> Result<PgJournal, BackendError> {
        let mut client = connect(url, "entitle journal").await?;
        ensure_schema(&mut client, url).await?;
        Ok(PgJournal {
            client,
            url: url.clone(),
            account: account.to_owned(),
            legacy: None,
            fence: None,
        })
    }

    /// Every entry of the account, in order, as the JSON lines of a file journal.
    pub async fn lines(&mut self) -> Result<Vec<String>, BackendError> {
        let rows = match self.try_lines().await {
            Err(e) if connection_gone(&e) => {
                self.reconnect().await?;
                self.try_lines().await
            }
            other => other,
        }
        .map_err(query_err(&self.url))?;
        Ok(rows.iter().map(|r| r.get::<_, String>(0)).collect())
    }

    async fn try_lines(&self) -> Result<Vec<tokio_postgres::Row>, tokio_postgres::Error> {
        let legacy = self.legacy.as_deref().unwrap_or(&self.account);
        self.client
            .query(
                "SELECT entry FROM entitle_journal WHERE account = $1 OR account = $2 ORDER BY seq",
                &[&self.account, &legacy],
            )
            .await
    }

    /// Whether the lock this journal writes under is still this apply's (no other apply has
    /// taken it since); true without a lock.
    pub async fn fence_holds(&mut self) -> Result<bool, BackendError> {
        let Some(mine) = self.fence else {
            return Ok(true);
        };
        let now = match self.try_fence().await {
            Err(e) if connection_gone(&e) => {
                self.reconnect().await?;
                self.try_fence().await
            }
            other => other,
        }
        .map_err(query_err(&self.url))?;
        Ok(now == Some(mine))
    }

    async fn try_fence(&self) -> Result<Option<i64>, tokio_postgres::Error> {
        Ok(self
            .client
            .query_opt(
                "SELECT token FROM entitle_lock_fence WHERE account = $1",
                &[&self.account],
            )
            .await?
            .map(|r| r.get(0)))
    }

    /// Appends one entry; returns once its transaction has committed. A `fenced` write under
    /// a lock (an intent, a plan's start, a resolution) first checks, in the same transaction
    /// and holding the fencing row shared so no taker can bump it meanwhile, that the lock is
    /// still this apply's. The outcome of an order already sent is a fact worth keeping
    /// whoever holds the lock now: it is written unfenced.
    ///
    /// A connection the server ended (a restart, `pg_terminate_backend`, an idle timeout) is
    /// opened again and the write tried once more: nothing of it had committed, or, if the
    /// commit's answer was what was lost, the entry is written twice, which the journal
    /// tolerates (the latest entry of a poNumber wins).
    pub async fn append(&mut self, line: &str, fenced: bool) -> Result<(), BackendError> {
        let fenced = fenced && self.fence.is_some();
        let written = match self.try_append(line, fenced).await {
            Err(e) if connection_gone(&e) => {
                self.reconnect().await?;
                self.try_append(line, fenced).await
            }
            other => other,
        }
        .map_err(query_err(&self.url))?;
        if written {
            Ok(())
        } else {
            Err(BackendError::LockLost {
                url: self.url.shown.clone(),
            })
        }
    }

    /// One attempt of [`PgJournal::append`]: `Ok(false)` when the fence no longer holds.
    async fn try_append(
        &mut self,
        line: &str,
        fenced: bool,
    ) -> Result<bool, tokio_postgres::Error> {
        let tx = self.client.transaction().await?;
        if let (true, Some(mine)) = (fenced, self.fence) {
            let now: Option<i64> = tx
                .query_opt(
                    "SELECT token FROM entitle_lock_fence WHERE account = $1 FOR SHARE",
                    &[&self.account],
                )
                .await?
                .map(|r| r.get(0));
            if now != Some(mine) {
                return Ok(false);
            }
        }
        tx.execute(
            "INSERT INTO entitle_journal (account, entry) VALUES ($1, $2)",
            &[&self.account, &line],
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Opens the connection again: what this journal does needs no session state but the
    /// fence, which lives in a table.
    async fn reconnect(&mut self) -> Result<(), BackendError> {
        tracing::info!(backend = %self.url.shown, "the journal's connection ended; reconnecting");
        self.client = connect(&self.url, "entitle journal").await?;
        Ok(())
    }

    /// Appends many entries in one transaction (migration).
    pub async fn append_all(&mut self, lines: &[String]) -> Result<(), BackendError> {
        let q = query_err(&self.url);
        let tx = self.client.transaction().await.map_err(&q)?;
        for line in lines {
            tx.execute(
                "INSERT INTO entitle_journal (account, entry) VALUES ($1, $2)",
                &[&self.account, line],
            )
            .await
            .map_err(&q)?;
        }
        tx.commit().await.map_err(&q)
    }
}

/// What the journal's thread is asked.
enum Ask {
    Append(
        String,
        bool,
        std::sync::mpsc::Sender<Result<(), BackendError>>,
    ),
    Fence(std::sync::mpsc::Sender<Result<bool, BackendError>>),
    Lines(std::sync::mpsc::Sender<Result<Vec<String>, BackendError>>),
}

/// The journal on the backend, for the synchronous journal API: a thread of its own owns the
/// connection (on a runtime of its own), and each call waits for its answer, as a file
/// journal's write waits for the disk. Never a nested runtime inside the caller's.
pub struct DbJournal {
    asks: std::sync::mpsc::Sender<Ask>,
    shown: String,
}

impl std::fmt::Debug for DbJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DbJournal({})", self.shown)
    }
}

fn gone(url: &str) -> BackendError {
    BackendError::Query {
        url: url.to_owned(),
        reason: "the journal's connection thread stopped".into(),
    }
}

impl DbJournal {
    /// Connects (creating the schema on first use) on a thread of its own. With `lock`, every
    /// write is fenced by it (see [`PgJournal::append`]).
    pub fn open(
        url: &PgUrl,
        account: &str,
        legacy: Option<&str>,
        lock: Option<&PgLock>,
    ) -> Result<DbJournal, BackendError> {
        let (asks, inbox) = std::sync::mpsc::channel::<Ask>();
        let (ready, opened) = std::sync::mpsc::channel();
        let (url2, account) = (url.clone(), account.to_owned());
        let fence = lock.map(|l| l.token);
        let legacy = legacy.map(str::to_owned);
        std::thread::spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready.send(Err(BackendError::Connect {
                        url: url2.shown.clone(),
                        reason: e.to_string(),
                    }));
                    return;
                }
            };
            rt.block_on(async move {
                let mut db = match PgJournal::open(&url2, &account).await {
                    Ok(mut db) => {
                        db.fence = fence;
                        db.legacy = legacy;
                        let _ = ready.send(Ok(()));
                        db
                    }
                    Err(e) => {
                        let _ = ready.send(Err(e));
                        return;
                    }
                };
                let ping = ping_interval(&db.client).await;
                loop {
                    let ask = match ping {
                        Some(every) => match inbox.recv_timeout(every) {
                            Ok(ask) => ask,
                            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                                // Keeps the session from an `idle_session_timeout`.
                                let _ = db.client.simple_query("SELECT 1").await;
                                continue;
                            }
                            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
                        },
                        None => match inbox.recv() {
                            Ok(ask) => ask,
                            Err(_) => return,
                        },
                    };
                    match ask {
                        Ask::Append(line, fenced, reply) => {
                            let _ = reply.send(db.append(&line, fenced).await);
                        }
                        Ask::Fence(reply) => {
                            let _ = reply.send(db.fence_holds().await);
                        }
                        Ask::Lines(reply) => {
                            let _ = reply.send(db.lines().await);
                        }
                    }
                }
            });
        });
        opened.recv().map_err(|_| gone(&url.shown))??;
        Ok(DbJournal {
            asks,
            shown: url.shown.clone(),
        })
    }

    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// Appends one entry, `fenced` or not (see [`PgJournal::append`]); returns once its
    /// transaction has committed.
    pub fn append(&self, line: String, fenced: bool) -> Result<(), BackendError> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.asks
            .send(Ask::Append(line, fenced, tx))
            .map_err(|_| gone(&self.shown))?;
        rx.recv().map_err(|_| gone(&self.shown))?
    }

    /// Whether the lock is still this apply's (see [`PgJournal::fence_holds`]).
    pub fn fence_holds(&self) -> Result<bool, BackendError> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.asks
            .send(Ask::Fence(tx))
            .map_err(|_| gone(&self.shown))?;
        rx.recv().map_err(|_| gone(&self.shown))?
    }

    /// Every entry of the account, in order.
    pub fn lines(&self) -> Result<Vec<String>, BackendError> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.asks
            .send(Ask::Lines(tx))
            .map_err(|_| gone(&self.shown))?;
        rx.recv().map_err(|_| gone(&self.shown))?
    }
}

/// The advisory lock of one vendor account, held by a connection of its own until dropped,
/// and the fencing token it was taken with.
pub struct PgLock {
    _client: std::sync::Arc<tokio_postgres::Client>,
    /// Bumped by every taker; see [`PgJournal::append`].
    token: i64,
    /// Pings the lock's session while it is held (see [`ping_interval`]).
    keepalive: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for PgLock {
    fn drop(&mut self) {
        if let Some(k) = self.keepalive.take() {
            k.abort();
        }
    }
}

impl std::fmt::Debug for PgLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgLock(token {})", self.token)
    }
}

/// The advisory lock key of an account: the first 8 bytes of its hash.
fn lock_key(account: &str) -> i64 {
    let hex = crate::plan::sha256_hex(format!("entitle lock {account}").as_bytes());
    i64::from_str_radix(&hex[..15], 16).unwrap_or(0)
}

/// Who this process is, for the message of whoever waits for its lock.
pub fn who() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "an unknown host".into());
    let user = std::env::var("USER").unwrap_or_else(|_| "an unknown user".into());
    format!(
        "{user}@{host}, pid {}, in {}",
        std::process::id(),
        std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default()
    )
}

impl PgLock {
    /// Whether the lock's session has ended (the advisory lock with it). Safe while the
    /// fencing token is still this apply's (no one took the lock), but worth saying.
    pub fn session_ended(&self) -> bool {
        self._client.is_closed()
    }

    /// Takes the account's lock, waiting up to `wait` (zero: not at all), and bumps the
    /// account's fencing token: from then on, writes under an earlier holder's token fail.
    /// Returns whether it had to wait.
    pub async fn acquire(
        url: &PgUrl,
        account: &str,
        wait: Duration,
    ) -> Result<(PgLock, bool), BackendError> {
        let mut client = connect(url, "entitle lock").await?;
        ensure_schema(&mut client, url).await?;
        let q = query_err(url);
        let key = lock_key(account);
        let started = tokio::time::Instant::now();
        let mut waited = false;
        loop {
            let got: bool = client
                .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
                .await
                .map_err(&q)?
                .get(0);
            if got {
                client
                    .execute(
                        "INSERT INTO entitle_lock_holders (account, holder, since) VALUES ($1, $2, now())
                         ON CONFLICT (account) DO UPDATE SET holder = EXCLUDED.holder, since = now()",
                        &[&account, &who()],
                    )
                    .await
                    .map_err(&q)?;
                // Waits for any write of an earlier holder in progress (it holds the row
                // shared), so everything that holder wrote is in the journal read next.
                let token: i64 = client
                    .query_one(
                        "INSERT INTO entitle_lock_fence (account, token) VALUES ($1, 1)
                         ON CONFLICT (account) DO UPDATE SET token = entitle_lock_fence.token + 1
                         RETURNING token",
                        &[&account],
                    )
                    .await
                    .map_err(&q)?
                    .get(0);
                let client = std::sync::Arc::new(client);
                let keepalive = ping_interval(&client).await.map(|every| {
                    let client = client.clone();
                    tokio::spawn(async move {
                        loop {
                            tokio::time::sleep(every).await;
                            if client.simple_query("SELECT 1").await.is_err() {
                                return;
                            }
                        }
                    })
                });
                return Ok((
                    PgLock {
                        _client: client,
                        token,
                        keepalive,
                    },
                    waited,
                ));
            }
            if started.elapsed() >= wait {
                let holder = client
                    .query_opt(
                        "SELECT holder, to_char(since AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM entitle_lock_holders WHERE account = $1",
                        &[&account],
                    )
                    .await
                    .map_err(&q)?
                    .map(|r| format!("{} since {}", r.get::<_, String>(0), r.get::<_, String>(1)))
                    .unwrap_or_else(|| "an unknown process".into());
                let next = if wait.is_zero() {
                    "wait for it, or pass --lock-timeout to wait".to_owned()
                } else {
                    format!("waited {}s; try again later", wait.as_secs())
                };
                return Err(BackendError::Busy {
                    url: url.shown.clone(),
                    holder,
                    next,
                });
            }
            waited = true;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_their_password_and_only_postgres_is_accepted() {
        let Backend::Postgres(u) =
            Backend::parse(Some("postgres://ci:s3cret@db.example:5432/entitle")).unwrap()
        else {
            panic!()
        };
        assert_eq!(u.shown, "postgres://ci:***@db.example:5432/entitle");
        assert!(!format!("{u:?}").contains("s3cret"));
        assert!(!u.loopback);
        let Backend::Postgres(local) =
            Backend::parse(Some("postgres://me@127.0.0.1:5999/x")).unwrap()
        else {
            panic!()
        };
        assert!(local.loopback);
        assert!(matches!(Backend::parse(None).unwrap(), Backend::Files));
        assert!(matches!(Backend::parse(Some(" ")).unwrap(), Backend::Files));
        let e = Backend::parse(Some("mysql://u:pw@h/db"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a postgres://") && !e.contains("pw@"), "{e}");
    }
}
