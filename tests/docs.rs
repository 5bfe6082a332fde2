//! The README says what the binary does: its provider count matches the presets `hookgate
//! providers` lists (the table itself is checked in `providers::catalog`), and its example error
//! is what `hookgate check` prints.

use hookgate::providers::presets;

/// The generic families, which the README counts apart from the senders' presets.
const GENERIC: [&str; 4] = ["hmac", "token", "basic", "ed25519"];

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

#[test]
fn readme_counts_the_senders_presets() {
    let senders = presets().len() - GENERIC.len();
    let claim = format!(
        "(Stripe, GitHub, Shopify, Slack, Twilio and {} other senders' presets",
        senders - 5
    );
    assert!(
        readme().replace('\n', " ").contains(&claim),
        "README should say {claim:?}"
    );
}

#[test]
fn readme_example_error_is_what_check_prints() {
    let dir = std::env::temp_dir().join(format!("hookgate-docs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("gateway.toml"),
        "[[route]]\nname = \"stripe\"\npath = \"/webhooks/stripe\"\nupstream = \"http://127.0.0.1:3000/\"\nprovider = \"stripe\"\nsecrets = [\"whsec_x\"]\ntolerance = \"five minutes\"\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hookgate"))
        .current_dir(&dir)
        .args(["check", "-c", "gateway.toml"])
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(!out.status.success());
    let printed = String::from_utf8(out.stderr).unwrap();
    let printed = printed.trim_end();
    assert!(
        readme().contains(&format!("```\n{printed}\n```")),
        "README's example error should be {printed:?}"
    );
}

/// The README's test command (`scripts/test.sh`, which runs `scripts/setup.sh`) must install every
/// external tool a test needs under `CI=true`: before, promtool was installed only by
/// `deploy/validate.sh --install`, so the README's command skipped the rule tests (or failed in CI).
#[test]
fn setup_script_installs_every_tool_the_tests_need() {
    let setup =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/setup.sh")).unwrap();
    for (tool, package) in [("redis-server", "redis-server"), ("promtool", "prometheus")] {
        assert!(
            setup.contains(&format!("command -v {tool} "))
                && setup.contains(&format!("missing+=({package})")),
            "scripts/setup.sh should install {tool} (apt package {package})"
        );
    }
    let test =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/test.sh")).unwrap();
    assert!(
        test.contains("scripts/setup.sh"),
        "scripts/test.sh should run scripts/setup.sh"
    );
}

/// Every Markdown file the READMEs cite (`bench/FINDINGS.md`, `deploy/README.md`, …) is in the
/// repository, found from the repository root or from the citing file's folder: a user following
/// one must find it (deploy/README.md cited a PRODUCT.md that is not part of the repository).
#[test]
fn markdown_files_the_readmes_cite_exist() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for readme in ["README.md", "deploy/README.md"] {
        let text = std::fs::read_to_string(root.join(readme)).unwrap();
        let dir = root.join(readme).parent().unwrap().to_path_buf();
        let cited: Vec<&str> = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || "_./-".contains(c)))
            .filter(|w| w.ends_with(".md") && w.len() > 3)
            .collect();
        assert!(!cited.is_empty() || readme != "README.md");
        for name in cited {
            let name = name.trim_start_matches("./");
            assert!(
                root.join(name).is_file() || dir.join(name).is_file(),
                "{readme} cites {name}, which is not in the repository"
            );
        }
    }
}
