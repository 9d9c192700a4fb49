//! The command line says each thing once: errors with each cause once, network options only on
//! the commands that use the network, and a hint for a base URL that cannot work.

use crate::support::{Env, command, entitle, stderr};

#[test]
fn an_api_error_prints_each_cause_once() {
    let out = command()
        .args([
            "plan",
            &Env::examples_arg(),
            "--base-url",
            "http://127.0.0.1:9",
        ])
        .env("ENTITLE_CLIENT_ID", "id")
        .env("ENTITLE_CLIENT_SECRET", "secret")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with("error: POST /auth/openapi/v1/oauth/token: cannot connect: 127.0.0.1:9: "),
        "{err}"
    );
    assert_eq!(err.matches("cannot connect").count(), 1, "{err}");
    assert_eq!(err.matches("--base-url").count(), 1, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn network_options_belong_to_network_commands() {
    let out = command()
        .args(["validate", "--sandbox", &Env::examples_arg()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("unexpected argument '--sandbox' found"),
        "{}",
        stderr(&out)
    );
    for (cmd, has_network) in [
        ("validate", false),
        ("schema", false),
        ("show", false),
        ("sandbox", false),
        ("completions", false),
        ("plan", true),
        ("apply", true),
        ("export", true),
        ("catalog", true),
    ] {
        let help = entitle().args([cmd, "--help"]).output().unwrap();
        let text = String::from_utf8_lossy(&help.stdout);
        for flag in ["--sandbox ", "--base-url", "--parallelism"] {
            assert_eq!(
                text.contains(flag),
                has_network,
                "`entitle {cmd} --help` and {flag}:\n{text}"
            );
        }
        assert!(text.contains("--color"), "{cmd}: {text}");
    }
}

#[test]
fn a_base_url_without_a_scheme_gets_a_suggestion() {
    for (url, meant) in [
        (
            "openapi.partner.yeastar.com",
            "https://openapi.partner.yeastar.com",
        ),
        ("localhost:8787", "http://localhost:8787"),
    ] {
        let out = command()
            .args(["catalog", "--base-url", url])
            .env("ENTITLE_CLIENT_ID", "id")
            .env("ENTITLE_CLIENT_SECRET", "secret")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(
            stderr(&out),
            format!(
                "error: invalid API base URL `{url}`: it has no scheme; did you mean `{meant}`?\n"
            )
        );
    }
}

#[test]
fn https_to_a_plain_http_server_says_so() {
    let env = Env::new();
    let https = env.base_url.replace("http://", "https://");
    let out = env.run(&["catalog", "--base-url", &https]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out)
            .contains("the server answered in plain HTTP, not TLS: is this an http:// address?"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_confirmation_prompt_repeats_the_summary_with_the_total() {
    // `script` gives apply the terminal it needs to ask; the answer is "no".
    let env = Env::new();
    let apply = format!(
        "{} apply {} --now {} --color never",
        assert_cmd::cargo::cargo_bin!("entitle").display(),
        Env::examples_arg(),
        env.now()
    );
    let mut script = std::process::Command::new("script");
    let mut child = crate::support::scrub(&mut script)
        .args(["-qec", &apply, "/dev/null"])
        .current_dir(env.path())
        .env("ENTITLE_CLIENT_ID", crate::support::CLIENT_ID)
        .env("ENTITLE_CLIENT_SECRET", crate::support::SECRET)
        .env("ENTITLE_BASE_URL", &env.base_url)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), b"no\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).replace('\r', "");
    assert!(
        text.contains(
            "Plan: 4 orders and 1 auto-renew switch for 4 of 4 PBXs in scope, total USD 7,900.00.\n\
             Place them? They cost money. Only `yes` is accepted: Apply cancelled; nothing was sent."
        ),
        "{text}"
    );
    assert_eq!(env.order_bodies().len(), 0);
}

/// The README's table of exit codes is the binary's: the same text `entitle --help` ends with.
#[test]
fn the_readme_exit_code_table_is_the_binarys() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme
        .split("\n## Exit codes\n")
        .nth(1)
        .expect("README has an `## Exit codes` section");
    let block = section
        .split("```")
        .nth(1)
        .expect("the section opens with a code block")
        .trim_start_matches('\n');
    assert_eq!(block, entitle::cli::Exit::table());
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_entitle"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    assert!(
        help.contains(&format!(
            "Exit codes:\n{}",
            entitle::cli::Exit::table().trim_end()
        )),
        "{help}"
    );
}

/// `plan --sandbox` over the examples in a fresh directory, with `vars` set.
fn sandbox_plan(
    vars: &[(&str, &str)],
    extra: &[&str],
) -> (std::process::Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let out = command()
        .current_dir(dir.path())
        .args(["plan", &Env::examples_arg(), "--sandbox", "--no-price"])
        .args(extra)
        .envs(vars.iter().copied())
        .output()
        .unwrap();
    (out, dir)
}

/// A shell that exports ENTITLE_BASE_URL for real runs can still try `--sandbox`: the variable
/// is ignored, and the run says so.
#[test]
fn sandbox_ignores_the_base_url_variable_and_says_so() {
    let (out, _dir) = sandbox_plan(&[("ENTITLE_BASE_URL", "https://partner.example")], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "warning: --sandbox runs against the built-in simulator: ENTITLE_BASE_URL=https://partner.example is ignored\n"
    );
    // Without the variable (or with it empty), nothing is said.
    for vars in [&[][..], &[("ENTITLE_BASE_URL", "")][..]] {
        let (out, _dir) = sandbox_plan(vars, &[]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(stderr(&out), "", "{vars:?}");
    }
}

/// `--base-url` and `--sandbox` typed together contradict each other: refused before anything
/// starts, whatever ENTITLE_BASE_URL says.
#[test]
fn base_url_given_with_sandbox_is_refused() {
    for vars in [
        &[][..],
        &[("ENTITLE_BASE_URL", "https://partner.example")][..],
    ] {
        let (out, dir) = sandbox_plan(vars, &["--base-url", "http://127.0.0.1:9"]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.starts_with("error: --base-url and --sandbox cannot be used together: --sandbox runs against the built-in simulator; drop one of them\n"),
            "{err}"
        );
        assert!(
            err.contains("Usage: entitle plan [OPTIONS] [PATH]..."),
            "{err}"
        );
        assert!(
            !dir.path().join(".entitle").exists(),
            "no sandbox was started"
        );
    }
}

/// A variable that looks like entitle's but is not one it reads is named, with the closest
/// one it does read, by every command that reads the environment; the release pins a CI
/// workflow sets are not warned about.
#[test]
fn an_unknown_entitle_variable_is_named_with_the_closest_known_one() {
    let vars = [
        ("ENTITLE_API_URL", "https://partner.example"),
        ("ENTITLE_PASSWORD", "hunter2"),
        ("ENTITLE_VERSION", "0.1.0"),
        ("ENTITLE_SHA256", ""),
    ];
    let warnings = "warning: ENTITLE_API_URL is not a variable entitle reads; did you mean ENTITLE_BASE_URL?\n\
                    warning: ENTITLE_PASSWORD is not a variable entitle reads, nor close to one; it reads ENTITLE_BACKEND, ENTITLE_BASE_URL, ENTITLE_CLIENT_ID, ENTITLE_CLIENT_SECRET, ENTITLE_CREDENTIALS_FILE, ENTITLE_LOCK_DIR, ENTITLE_RATE_LIMIT, ENTITLE_SETTLE_PERIOD, ENTITLE_TIMEOUT\n";
    let (out, dir) = sandbox_plan(&vars, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), warnings);
    let out = command()
        .args(["catalog", "--sandbox"])
        .current_dir(dir.path())
        .envs(vars)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), warnings);
    // `validate` reads no ENTITLE_ variable: nothing to say.
    let out = command()
        .args(["validate", &Env::examples_arg()])
        .envs(vars)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
}

/// The embedded sandbox listens on another port each run; its account is its state file, so a
/// plan saved under `--sandbox` applies under `--sandbox` (the README's plan-then-apply).
#[test]
fn a_plan_saved_under_sandbox_applies_under_sandbox() {
    let (out, dir) = sandbox_plan(&[], &["-o", "plan.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let apply = command()
        .current_dir(dir.path())
        .args(["apply", "plan.json", "--sandbox", "--auto-approve"])
        .output()
        .unwrap();
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    assert!(
        crate::support::stdout(&apply)
            .contains(": 5 done, 0 pending, 0 failed, 0 unknown, 0 skipped."),
        "{}",
        crate::support::stdout(&apply)
    );
}
