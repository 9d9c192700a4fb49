//! A throwaway PostgreSQL cluster for the suite: `initdb` into a temporary directory, a free
//! port, `pg_ctl start`; shared by the tests of one run, each test in a database of its own. A
//! watchdog stops the cluster and removes its directory when the test process ends. No mock
//! stands in for the database.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

pub(crate) struct Cluster {
    port: u16,
    bin: PathBuf,
}

impl Cluster {
    /// A client tool (`createdb`, `psql`) connected to the cluster as its superuser.
    fn client(&self, tool: &str) -> Command {
        let mut c = Command::new(self.bin.join(tool));
        c.args([
            "-h",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-U",
            "entitle",
        ]);
        c
    }
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();
static DATABASES: AtomicUsize = AtomicUsize::new(0);

/// The server's binaries: `/usr/lib/postgresql/<newest>/bin`, or `pg_config --bindir`.
fn bin_dir() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("initdb").exists())
        .collect();
    found.sort();
    if let Some(b) = found.pop() {
        return b;
    }
    let out = Command::new("pg_config").arg("--bindir").output().expect(
        "PostgreSQL's server is not installed (no /usr/lib/postgresql/*/bin/initdb, no pg_config); .ci/run installs it",
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// Whether this process runs as root, which the server refuses to run as.
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Runs a server binary, as the `postgres` user when this process is root.
fn server_cmd(bin: &Path, tool: &str) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin.join(tool));
        c
    } else {
        Command::new(bin.join(tool))
    }
}

fn start() -> Cluster {
    let bin = bin_dir();
    let dir = std::env::temp_dir().join(format!("entitle-pg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // The server's user must own its directory.
    let _ = Command::new("chown")
        .args(["postgres:postgres"])
        .arg(&dir)
        .status();
    let data = dir.join("data");
    let ok = server_cmd(&bin, "initdb")
        .args([
            "-A",
            "trust",
            "-U",
            "entitle",
            "-E",
            "UTF8",
            "--no-sync",
            "-D",
        ])
        .arg(&data)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(ok.success(), "initdb failed");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let opts = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
        dir.display()
    );
    let ok = server_cmd(&bin, "pg_ctl")
        .args(["-w", "-o", &opts, "-l"])
        .arg(dir.join("log"))
        .arg("-D")
        .arg(&data)
        .arg("start")
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(
        ok.success(),
        "pg_ctl start failed; see {}",
        dir.join("log").display()
    );
    // Stops the cluster once this test process is gone.
    let pg_ctl = if is_root() {
        format!("runuser -u postgres -- {}", bin.join("pg_ctl").display())
    } else {
        bin.join("pg_ctl").display().to_string()
    };
    let watchdog = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {pg_ctl} -D {data} stop -m immediate >/dev/null 2>&1; rm -rf {dir}",
        pid = std::process::id(),
        data = data.display(),
        dir = dir.display()
    );
    // In a session of its own, so that whatever ends the test process does not end it too.
    // `setsid -f` forks the watchdog off and returns at once.
    Command::new("setsid")
        .args(["-f", "sh", "-c", &watchdog])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    Cluster { port, bin }
}

/// A new, empty database on the suite's cluster: its `postgres://` URL.
pub(crate) fn database() -> String {
    let c = CLUSTER.get_or_init(start);
    let name = format!("t{}", DATABASES.fetch_add(1, Ordering::SeqCst));
    let ok = c.client("createdb").arg(&name).status().unwrap();
    assert!(ok.success(), "createdb {name} failed");
    format!("postgres://entitle:pw@127.0.0.1:{}/{name}", c.port)
}

/// Runs SQL on a database of the suite's cluster (as its superuser).
pub(crate) fn sql(url: &str, query: &str) -> String {
    let c = CLUSTER.get().expect("no cluster");
    let db = url.rsplit('/').next().unwrap();
    let out = c
        .client("psql")
        .args(["-d", db, "-At", "-c", query])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}
