//! The command line's contract (README "CLI", PRODUCT.md "CLI"), run as the real `hookgate`
//! binary: `queue` options on either side of the subcommand, `sign`'s errors, and what `check`
//! prints and refuses.

mod common;

use std::process::Command;

use common::{bin, Gateway, TempDir, Upstream};

/// Runs `hookgate ARGS`; returns (exit code, stdout, stderr).
fn hookgate(args: &[&str], config: &std::path::Path) -> (i32, String, String) {
    let out = Command::new(bin())
        .args(args)
        .arg("-c")
        .arg(config)
        .env_remove("HOOKGATE_CONFIG")
        .env_remove("HOOKGATE_ADMIN_TOKEN")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `hookgate check -c` on `config` written to a fresh directory.
fn check(config: &str) -> (i32, String, String) {
    let dir = TempDir::new();
    let path = dir.write("gateway.toml", config);
    hookgate(&["check"], &path)
}

fn route(name: &str, provider: &str, extra: &str) -> String {
    format!(
        "[[route]]\nname = \"{name}\"\npath = \"/{name}\"\nupstream = \"http://127.0.0.1:9/\"\nprovider = \"{provider}\"\n{extra}\n"
    )
}

const SVIX_SECRET: &str = "secrets = [\"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"]";

#[test]
fn queue_config_and_admin_options_are_accepted_after_the_subcommand() {
    let queue_dir = TempDir::new();
    let up = Upstream::start();
    let gw = Gateway::start(
        "",
        &format!(
            "[queue]\ndir = \"{}\"\n{}delivery = \"queue\"\nsecrets = [\"s\"]\nsignature = {{ header = \"X-Sig\", algorithm = \"sha256\", encoding = \"hex\" }}\n",
            queue_dir.0.display(),
            route("erp", "hmac", "").replace("http://127.0.0.1:9/", &up.url("/erp")),
        ),
    );
    // The README's form, `hookgate queue stats -c FILE`, and the form before the subcommand.
    let (code, out, err) = hookgate(&["queue", "stats"], &gw.config_path);
    assert_eq!(code, 0, "{err}");
    // The running gateway's answer (its queue's byte budget and the per-route table).
    assert!(
        out.contains("bytes 0 of max") && out.contains("pending"),
        "{out}"
    );
    let before = Command::new(bin())
        .args(["queue", "-c"])
        .arg(&gw.config_path)
        .arg("stats")
        .env_remove("HOOKGATE_CONFIG")
        .output()
        .unwrap();
    assert!(before.status.success(), "{before:?}");
    assert!(String::from_utf8_lossy(&before.stdout).contains("bytes 0 of max"));
    // `--admin` after the subcommand too; it wins over the file's admin_listen.
    let (code, out, err) = hookgate(
        &[
            "queue",
            "stats",
            "--admin",
            &format!("127.0.0.1:{}", gw.admin_port),
        ],
        &gw.dir.write("empty.toml", ""),
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("bytes 0 of max"), "{out}");
    // The subcommand's help lists them.
    let help = Command::new(bin())
        .args(["queue", "stats", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("--config") && help.contains("--admin"),
        "{help}"
    );
}

#[test]
fn sign_refuses_a_timestamp_header_that_is_not_an_integer() {
    let dir = TempDir::new();
    let path = dir.write(
        "gateway.toml",
        &route("sw", "standard-webhooks", SVIX_SECRET),
    );
    let sign = |value: &str| {
        let header = format!("webhook-timestamp: {value}");
        hookgate(&["sign", "--route", "sw", "-H", &header], &path)
    };
    let (code, out, err) = sign("abc");
    assert_eq!(code, 1, "{out}");
    assert!(out.is_empty(), "nothing printed to use: {out}");
    assert!(
        err.contains("webhook-timestamp") && err.contains("\"abc\"") && err.contains("integer"),
        "{err}"
    );
    // An integer the caller gives is the one signed.
    let (code, out, err) = sign("1700000000");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("webhook-timestamp: 1700000000\n"), "{out}");
    // The same for a parts-HMAC preset (Slack's `X-Slack-Request-Timestamp`).
    let slack = dir.write(
        "slack.toml",
        &route(
            "sl",
            "slack",
            "secrets = [\"8f742231b10e8888abcd99yyyzzz85a5\"]",
        ),
    );
    let (code, _, err) = hookgate(
        &[
            "sign",
            "--route",
            "sl",
            "-H",
            "X-Slack-Request-Timestamp: soon",
        ],
        &slack,
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("x-slack-request-timestamp") || err.contains("X-Slack-Request-Timestamp"),
        "{err}"
    );
}

#[test]
fn sign_with_an_unknown_route_names_the_config_file_and_its_routes() {
    let dir = TempDir::new();
    let path = dir.write(
        "gateway.toml",
        &route("sw", "standard-webhooks", SVIX_SECRET),
    );
    let (code, _, err) = hookgate(&["sign", "--route", "nope"], &path);
    assert_eq!(code, 1);
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(
        err.contains("\"nope\"") && err.contains("routes: sw"),
        "{err}"
    );
}

#[test]
fn check_prints_the_state_section_without_the_password() {
    let routes = route("sw", "standard-webhooks", SVIX_SECRET);
    let (code, out, err) = check(&routes);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("state: in memory"), "{out}");

    let (code, out, err) = check(&format!(
        "[state]\nurl = \"redis://:hunter2-pw@127.0.0.1:6399/3\"\nprefix = \"gw\"\ntimeout = \"150ms\"\n{routes}"
    ));
    assert_eq!(code, 0, "{err}");
    let line = out
        .lines()
        .find(|l| l.starts_with("state: "))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        line.contains("redis") && line.contains("127.0.0.1:6399"),
        "{line}"
    );
    assert!(line.contains("\"gw\"") && line.contains("150ms"), "{line}");
    assert!(!out.contains("hunter2-pw"), "{out}");
}

/// A TLS certificate or key that `run` would refuse (not PEM, or a key of another certificate)
/// fails `hookgate check` too, naming the files; before, check said "ok" and `run` then failed.
#[test]
fn check_refuses_a_tls_certificate_or_key_run_could_not_use() {
    let dir = TempDir::new();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert_path = dir.write("tls.crt", &cert.cert.pem());
    let key_path = dir.write("tls.key", &cert.key_pair.serialize_pem());
    let other_key = dir.write("other.key", &other.key_pair.serialize_pem());
    let garbage = dir.write("garbage.pem", "not a certificate\n");
    let routes = route("sw", "standard-webhooks", SVIX_SECRET);
    let with = |c: &std::path::Path, k: &std::path::Path| {
        check(&format!(
            "[server]\ntls_cert = \"{}\"\ntls_key = \"{}\"\n{routes}",
            c.display(),
            k.display()
        ))
    };
    let (code, _, err) = with(&cert_path, &key_path);
    assert_eq!(code, 0, "{err}");
    for (c, k) in [(&garbage, &key_path), (&cert_path, &other_key)] {
        let (code, out, err) = with(c, k);
        assert_eq!(code, 1, "{out}");
        assert!(
            err.contains("tls_cert") && err.contains(&*c.display().to_string()),
            "{err}"
        );
    }
}

#[test]
fn check_refuses_a_route_whose_every_secret_has_expired() {
    let past = "2020-01-01T00:00:00Z";
    let expired = format!("secrets = [{{ secret = \"old\", until = \"{past}\" }}]");
    let (code, out, err) = check(&route("gh", "github", &expired));
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("gateway.toml"), "{err}");
    assert!(
        err.contains("route \"gh\"") && err.contains("key `secrets`"),
        "{err}"
    );
    assert!(err.contains("expired") && err.contains("401"), "{err}");

    // One current secret beside it: OK, with a notice about the expired one.
    let mixed = format!("secrets = [{{ secret = \"old\", until = \"{past}\" }}, \"new\"]");
    let (code, out, err) = check(&route("gh", "github", &mixed));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("notice:") && l.contains("secrets[0]") && l.contains("expired")),
        "{out}"
    );
}

#[test]
fn check_aligns_its_columns_for_multi_method_routes() {
    let config = format!(
        "{}{}{}",
        route("one", "github", "secrets = [\"s\"]"),
        route(
            "many",
            "github",
            "secrets = [\"s\"]\nmethods = [\"POST\", \"PUT\", \"PATCH\"]"
        ),
        route(
            "a-rather-long-route-name",
            "github",
            "secrets = [\"s\"]\npath = \"/a/very/long/path/that/is/longer/than/the/column\""
        )
        .replace("path = \"/a-rather-long-route-name\"\n", ""),
    );
    let (code, out, err) = check(&config);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<&str> = out.lines().filter(|l| l.starts_with("  ")).collect();
    assert_eq!(rows.len(), 3, "{out}");
    for column in ["/", "provider=", "-> "] {
        let at: Vec<usize> = rows.iter().map(|r| r.find(column).unwrap()).collect();
        assert!(
            at.iter().all(|&a| a == at[0]),
            "{column:?} at {at:?}:\n{out}"
        );
    }
    assert!(rows[1].contains("POST,PUT,PATCH "), "{out}");
}
