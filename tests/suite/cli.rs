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
