use std::path::Path;

use super::*;
use crate::config::field_source::FieldSource;
use crate::config::model::RouteConfig;

fn parse(text: &str) -> Result<Config, ConfigError> {
    let env = |n: &str| (n == "SECRET").then(|| "s3cret".to_string());
    parse_str(text, Path::new("gateway.toml"), &env)
}

const ROUTE: &str = r#"
[[route]]
name = "azotte"
path = "/webhooks/azotte"
upstream = "http://127.0.0.1:3000/azotte"
provider = "hmac"
secrets = ["env:SECRET"]
signature = { header = "Azotte-Signature", algorithm = "sha256", encoding = "hex", prefix = "sha256=" }
"#;

fn err(text: &str) -> String {
    match parse(text) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_valid_route_compiles() {
    let c = parse(ROUTE).unwrap();
    let r = c
        .routes
        .iter()
        .find(|r| r.path == "/webhooks/azotte")
        .unwrap();
    assert_eq!(r.upstream.path_and_query, "/azotte");
    assert_eq!(r.upstream.authority, "127.0.0.1:3000");
    assert_eq!(c.server.max_body, None, "not set in the file");
    assert_eq!(r.max_body, 1024 * 1024, "built-in default");
    assert_eq!(r.methods, vec![http::Method::POST]);
    assert_eq!(c.server.max_connections, 4096);
    assert_eq!(c.server.body_memory_limit, 256 * 1024 * 1024);
}

fn github(server: &str, route_extra: &str) -> RouteConfig {
    let text = format!(
        "[server]\n{server}\n[[route]]\nname = \"gh\"\npath = \"/gh\"\nupstream = \"http://127.0.0.1:3000/\"\nprovider = \"github\"\nsecrets = [\"env:SECRET\"]\n{route_extra}\n"
    );
    parse(&text).unwrap().routes.remove(0)
}

#[test]
fn max_body_is_the_routes_then_the_servers_explicit_then_the_presets() {
    assert_eq!(github("", "").max_body, 25 * 1024 * 1024, "GitHub's 25 MB");
    assert_eq!(github("max_body = \"2MiB\"", "").max_body, 2 << 20);
    assert_eq!(
        github("max_body = \"2MiB\"", "max_body = \"3MiB\"").max_body,
        3 << 20
    );
    let stripe = parse(ROUTE).unwrap().routes.remove(0);
    assert_eq!(stripe.max_body, 1 << 20);
}

#[test]
fn methods_default_to_the_presets_and_are_checked() {
    let twilio = parse(
        "[[route]]\nname = \"t\"\npath = \"/t\"\nupstream = \"http://127.0.0.1:3000/\"\nprovider = \"twilio\"\nsecrets = [\"env:SECRET\"]\n",
    )
    .unwrap()
    .routes
    .remove(0);
    assert_eq!(twilio.methods, vec![http::Method::GET, http::Method::POST]);
    let custom = parse(&format!("{ROUTE}methods = [\"put\", \"POST\"]\n"))
        .unwrap()
        .routes
        .remove(0);
    assert_eq!(custom.methods, vec![http::Method::PUT, http::Method::POST]);
    for (bad, why) in [
        ("[]", "at least one"),
        ("[\"POST\", \"post\"]", "twice"),
        ("[\"PO ST\"]", "not an HTTP method"),
        ("[\"CONNECT\"]", "cannot carry"),
    ] {
        let e = err(&format!("{ROUTE}methods = {bad}\n"));
        assert!(e.contains("methods") && e.contains(why), "{e}");
    }
}

#[test]
fn event_id_sources_are_the_routes_or_the_presets_with_aliases() {
    let svix = |extra: &str| {
        parse(&format!(
            "[[route]]\nname = \"s\"\npath = \"/s\"\nupstream = \"http://127.0.0.1:3000/\"\nprovider = \"svix\"\nsecrets = [\"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"]\n{extra}"
        ))
        .unwrap()
        .routes
        .remove(0)
    };
    let names =
        |r: &RouteConfig| -> Vec<String> { r.event_id.iter().map(|s| format!("{s:?}")).collect() };
    let without_dedup = svix("");
    assert_eq!(
        without_dedup.event_id.len(),
        2,
        "{:?}",
        names(&without_dedup)
    );
    assert!(names(&without_dedup)[1].contains("webhook-id"));
    let own = svix("dedup = { id = \"json:/id\" }\n");
    assert_eq!(own.event_id, vec![FieldSource::JsonPointer("/id".into())]);
    assert_eq!(parse(ROUTE).unwrap().routes[0].event_id, vec![]);
}

#[test]
fn server_limits_are_read_and_checked() {
    let c = parse(&format!(
        "[server]\nmax_connections = 10\nbody_memory_limit = \"8MiB\"\n{ROUTE}"
    ))
    .unwrap();
    assert_eq!(c.server.max_connections, 10);
    assert_eq!(c.server.body_memory_limit, 8 << 20);
    let e = err(&format!("[server]\nmax_connections = 0\n{ROUTE}"));
    assert!(e.contains("max_connections"), "{e}");
    let e = err(&format!("[server]\nbody_memory_limit = \"0\"\n{ROUTE}"));
    assert!(e.contains("body_memory_limit"), "{e}");
}

#[test]
fn unknown_route_key_names_file_route_and_key() {
    let e = err(&format!("{ROUTE}tolerence = \"5m\"\n"));
    assert!(e.starts_with("gateway.toml: route \"azotte\""), "{e}");
    assert!(e.contains("tolerence"), "{e}");
}

#[test]
fn unknown_server_key_names_it() {
    let e = err(&format!("[server]\nlisten_addr = \"x\"\n{ROUTE}"));
    assert!(
        e.contains("gateway.toml") && e.contains("listen_addr"),
        "{e}"
    );
}

#[test]
fn bad_duration_names_the_key() {
    let e = err(&format!("{ROUTE}upstream_timeout = \"soon\"\n"));
    assert!(
        e.contains("route \"azotte\": key `upstream_timeout`"),
        "{e}"
    );
}

#[test]
fn missing_env_secret_is_a_load_error() {
    let e = err(&ROUTE.replace("env:SECRET", "env:NOPE_NOT_SET"));
    assert!(
        e.contains("key `secrets[0]`") && e.contains("NOPE_NOT_SET"),
        "{e}"
    );
}

#[test]
fn duplicate_route_name_is_refused() {
    let second = ROUTE.replace("/webhooks/azotte", "/other");
    let e = err(&format!("{ROUTE}{second}"));
    assert!(e.contains("route \"azotte\": key `name`: duplicate"), "{e}");
}

#[test]
fn bad_cidr_is_refused() {
    let e = err(&format!("{ROUTE}allow_ips = [\"10.0.0.0/33\"]\n"));
    assert!(e.contains("key `allow_ips`"), "{e}");
    let e = err(&format!("[server]\ntrusted_proxies = [\"nope\"]\n{ROUTE}"));
    assert!(e.contains("key `server.trusted_proxies`"), "{e}");
}

#[test]
fn unknown_provider_lists_known_ones() {
    let e = err(&ROUTE.replace("provider = \"hmac\"", "provider = \"nope\""));
    assert!(e.contains("key `provider`") && e.contains("hmac"), "{e}");
}

#[test]
fn secrets_never_appear_in_errors() {
    let text = ROUTE.replace("env:SECRET", "literal-secret-value") + "tolerance = \"bad\"\n";
    let e = err(&text);
    assert!(!e.contains("literal-secret-value"), "{e}");
}

// A value of the wrong type names its key with the dotted path, not only the route: before,
// `dedup = { ttl = 5 }` gave `route "azotte": invalid type: integer `5`, expected a string`.
#[test]
fn wrong_type_in_a_route_names_the_dotted_key() {
    let e = err(&format!("{ROUTE}dedup = {{ ttl = 5 }}\n"));
    assert!(
        e.starts_with("gateway.toml: route \"azotte\": key `dedup.ttl`: invalid type"),
        "{e}"
    );
    let e = err(&format!(
        "{ROUTE}rate_limit = {{ per_second = \"fifty\", burst = 1 }}\n"
    ));
    assert!(
        e.starts_with("gateway.toml: route \"azotte\": key `rate_limit.per_second`:"),
        "{e}"
    );
    let e = err(&format!("{ROUTE}events = \"push\"\n"));
    assert!(e.contains("key `events`"), "{e}");
}

#[test]
fn wrong_type_or_typo_in_a_section_names_the_dotted_key() {
    let e = err(&format!("[server]\nthreads = \"four\"\n{ROUTE}"));
    assert!(e.starts_with("gateway.toml: key `server.threads`:"), "{e}");
    assert!(e.contains("(line 2)"), "{e}");
    let e = err(&format!(
        "{ROUTE}[state]\nurl = \"redis://127.0.0.1:6379\"\ntimeuot = \"50ms\"\n"
    ));
    assert!(e.starts_with("gateway.toml: key `state"), "{e}");
    assert!(e.contains("timeuot"), "{e}");
}

// `dedup = { ttl = "0s" }` was accepted and shown as `dedup` by `hookgate check`, and then every
// copy of an event was forwarded: the delivered ID expired as it was committed.
#[test]
fn a_dedup_ttl_under_a_millisecond_is_an_error() {
    for ttl in ["0s", "0", "500us"] {
        let e = err(&format!(
            "{ROUTE}dedup = {{ ttl = \"{ttl}\", id = \"json:/id\" }}\n"
        ));
        assert_eq!(
            e,
            "gateway.toml: route \"azotte\": key `dedup.ttl`: must be at least 1ms (a delivered event ID is remembered this long)",
            "{ttl}"
        );
    }
    let ok = parse(&format!(
        "{ROUTE}dedup = {{ ttl = \"1ms\", id = \"json:/id\" }}\n"
    ));
    assert!(ok.is_ok(), "{:?}", ok.err());
}

#[test]
fn max_body_must_fit_body_memory_limit_and_be_more_than_zero() {
    let server = "[server]\nbody_memory_limit = \"8MiB\"\n";
    // The route's own, the server's, and a preset's default (GitHub's 25 MiB) are all held
    // against body_memory_limit: a larger body would get 503 on every attempt.
    let e = err(&format!("{server}{ROUTE}max_body = \"9MiB\"\n"));
    assert!(
        e.starts_with("gateway.toml: route \"azotte\": key `max_body`"),
        "{e}"
    );
    assert!(
        e.contains("9MiB") && e.contains("body_memory_limit 8MiB"),
        "{e}"
    );
    let e = err(&format!(
        "[server]\nbody_memory_limit = \"8MiB\"\nmax_body = \"16MiB\"\n{ROUTE}"
    ));
    assert!(
        e.contains("key `server.max_body`") || e.contains("server.max_body"),
        "{e}"
    );
    assert!(e.contains("16MiB"), "{e}");
    let e = err(&format!(
        "{server}\n[[route]]\nname = \"gh\"\npath = \"/gh\"\nupstream = \"http://127.0.0.1:3000/\"\nprovider = \"github\"\nsecrets = [\"env:SECRET\"]\n"
    ));
    assert!(e.contains("route \"gh\"") && e.contains("25MiB"), "{e}");
    assert!(e.contains("preset's default"), "{e}");
    // The built-in default (1 MiB) too, on a route without a preset default.
    let e = err(&format!(
        "[server]\nbody_memory_limit = \"512KiB\"\n{ROUTE}"
    ));
    assert!(
        e.contains("route \"azotte\"") && e.contains("1MiB") && e.contains("512KiB"),
        "{e}"
    );
    assert!(e.contains("(the default; set max_body)"), "{e}");
    // Equal is fine; so is a server max_body that lowers GitHub's default under the limit.
    assert!(parse(&format!("{server}{ROUTE}max_body = \"8MiB\"\n")).is_ok());
    assert_eq!(
        github("body_memory_limit = \"8MiB\"\nmax_body = \"4MiB\"", "").max_body,
        4 << 20
    );
    // "0" is not nginx's "unlimited": refused, on the route and on the server.
    let e = err(&format!("{ROUTE}max_body = \"0\"\n"));
    assert!(
        e.contains("key `max_body`") && e.contains("at least 1 byte"),
        "{e}"
    );
    let e = err(&format!("[server]\nmax_body = \"0\"\n{ROUTE}"));
    assert!(e.contains("max_body") && e.contains("unlimited"), "{e}");
}

#[test]
fn a_secret_of_the_wrong_type_is_named_with_the_right_article() {
    let e = err(&ROUTE.replace("[\"env:SECRET\"]", "[3]"));
    assert!(e.contains("not an integer"), "{e}");
    let e = err(&ROUTE.replace("[\"env:SECRET\"]", "[{ secret = [\"a\"] }]"));
    assert!(e.contains("not an array"), "{e}");
    let e = err(&ROUTE.replace("[\"env:SECRET\"]", "[{ secret = \"a\", until = 7 }]"));
    assert!(e.contains("not an integer"), "{e}");
    let e = err(&ROUTE.replace("[\"env:SECRET\"]", "[true]"));
    assert!(e.contains("not a boolean"), "{e}");
}

#[test]
fn an_expiring_secret_notice_counts_in_singular_and_plural() {
    let now = secret_entry::now().as_secs();
    let until = |secs: u64| {
        let at = secret_entry::format_time(std::time::Duration::from_secs(now + secs));
        let text = ROUTE.replace(
            "[\"env:SECRET\"]",
            &format!("[{{ secret = \"a\", until = \"{at}\" }}, \"b\"]"),
        );
        let c = parse(&text).unwrap();
        c.notices
            .iter()
            .map(|n| n.to_string())
            .find(|n| n.contains("expires at"))
            .unwrap()
    };
    // 1 day, 1 hour and 30 minutes ahead: whole hours are counted.
    let n = until(86_400 + 3_600 + 1_800);
    assert!(n.contains("(in 1 day, 1 hour)"), "{n}");
    let n = until(2 * 86_400 + 5 * 3_600 + 60);
    assert!(n.contains("(in 2 days, 5 hours)"), "{n}");
}

#[test]
fn a_route_whose_every_secret_has_expired_is_refused() {
    let expired = "{ secret = \"a\", until = \"2020-01-01T00:00:00Z\" }";
    let e = err(&ROUTE.replace("[\"env:SECRET\"]", &format!("[{expired}]")));
    assert!(
        e.starts_with("gateway.toml: route \"azotte\": key `secrets`"),
        "{e}"
    );
    assert!(e.contains("every secret has expired"), "{e}");
    let c = parse(&ROUTE.replace("[\"env:SECRET\"]", &format!("[{expired}, \"b\"]"))).unwrap();
    assert!(
        c.notices.iter().any(|n| n.to_string().contains("expired")),
        "a notice for the expired one"
    );
}
