//! The code keeps the shape its design says (issue 18): no function in `src/` longer than
//! [`MAX_FN_LINES`] lines, and dependencies that point one way — the configuration model
//! (`src/config/`) imports nothing of the runtime, `logging` nothing of `cli`, and the key-fetch
//! family nothing of its presets.
//!
//! A small scanner reads the sources as text: comments, strings and character literals are
//! blanked first (keeping line breaks), then a function is its `fn name` to the brace that
//! closes its body, counted in lines, both ends included.

use std::path::{Path, PathBuf};

/// The longest a function in `src/` may be, in lines (signature to closing brace).
const MAX_FN_LINES: usize = 80;

/// Each rule: files whose path (from the crate root, `/`-separated) starts with the first string
/// may not name any of the paths that follow (in code: `use`, or a path in an expression).
const FORBIDDEN: &[(&str, &[&str])] = &[
    (
        "src/config/",
        &[
            "crate::request",
            "crate::delivery",
            "crate::server",
            "crate::gateway",
            "crate::state",
            "crate::telemetry",
            "crate::cli",
            "crate::logging",
        ],
    ),
    ("src/logging.rs", &["crate::cli"]),
    (
        "src/providers/families/key_fetch/",
        &["crate::providers::presets", "super::super::presets"],
    ),
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `.rs` file under `src/`, with its path relative to the crate root.
fn src_files() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    assert!(files.len() > 50, "src/ not found under {}", root.display());
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p:?}: {e}"));
            let rel = p.strip_prefix(root).expect("under the root");
            (rel.to_string_lossy().replace('\\', "/"), text)
        })
        .collect()
}

/// `text` with comments, string and character literals replaced by spaces (line breaks kept),
/// so braces and paths inside them are not code.
fn code_only(text: &str) -> String {
    let s: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |out: &mut String, chars: &[char]| {
        for &c in chars {
            out.push(if c == '\n' { '\n' } else { ' ' });
        }
    };
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        let next = s.get(i + 1).copied();
        let start = i;
        if c == '/' && next == Some('/') {
            while i < s.len() && s[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < s.len() {
                if s[i] == '/' && s.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if s[i] == '*' && s.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if let Some(end) = raw_string_end(&s, i) {
            i = end;
        } else if c == '"' {
            i += 1;
            while i < s.len() && s[i] != '"' {
                i += if s[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else if c == '\'' && next == Some('\\') {
            i += 2;
            while i < s.len() && s[i] != '\'' {
                i += 1;
            }
            i += 1;
        } else if c == '\'' && s.get(i + 2) == Some(&'\'') {
            i += 3;
        } else {
            out.push(c);
            i += 1;
            continue;
        }
        let end = i.min(s.len());
        blank(&mut out, &s[start..end]);
        i = end;
    }
    out
}

/// Where the raw string (`r"…"`, `r#"…"#`, `br#"…"#`) starting at `i` ends, if one does.
fn raw_string_end(s: &[char], i: usize) -> Option<usize> {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut j = i;
    if s[j] == 'b' {
        j += 1;
    }
    if s.get(j) != Some(&'r') || (i > 0 && ident(s[i - 1])) {
        return None;
    }
    j += 1;
    let hashes = s[j..].iter().take_while(|&&c| c == '#').count();
    j += hashes;
    if s.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    while j < s.len() {
        if s[j] == '"'
            && s[j + 1..]
                .iter()
                .take(hashes)
                .filter(|&&c| c == '#')
                .count()
                == hashes
        {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(s.len())
}

/// Every function with a body in `code`: (name, first line, line count).
fn functions(code: &str) -> Vec<(String, usize, usize)> {
    let bytes = code.as_bytes();
    let line_of = |at: usize| code[..at].bytes().filter(|&b| b == b'\n').count() + 1;
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(pos) = code[at..].find("fn ") {
        let start = at + pos;
        at = start + 3;
        if start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') {
            continue;
        }
        let name: String = code[at..]
            .trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            continue;
        }
        // The body opens at the first `{` outside parentheses and brackets; a `;` first means
        // a declaration without a body.
        let mut depth = 0i32;
        let mut open = None;
        for (k, b) in code[at..].bytes().enumerate() {
            match b {
                b'(' | b'[' => depth += 1,
                b')' | b']' => depth -= 1,
                b';' if depth == 0 => break,
                b'{' if depth == 0 => {
                    open = Some(at + k);
                    break;
                }
                _ => {}
            }
        }
        let Some(open) = open else { continue };
        let mut braces = 0;
        let mut close = code.len() - 1;
        for (k, b) in code[open..].bytes().enumerate() {
            match b {
                b'{' => braces += 1,
                b'}' => {
                    braces -= 1;
                    if braces == 0 {
                        close = open + k;
                        break;
                    }
                }
                _ => {}
            }
        }
        let first = line_of(start);
        found.push((name, first, line_of(close) - first + 1));
    }
    found
}

#[test]
fn no_function_in_src_is_longer_than_the_limit() {
    let mut long = Vec::new();
    let mut count = 0;
    for (path, text) in src_files() {
        for (name, line, lines) in functions(&code_only(&text)) {
            count += 1;
            if lines > MAX_FN_LINES {
                long.push(format!("{path}:{line}: fn {name} is {lines} lines"));
            }
        }
    }
    assert!(
        count > 1000,
        "the scan found only {count} functions in src/"
    );
    assert!(
        long.is_empty(),
        "functions over {MAX_FN_LINES} lines (split them by concern):\n{}",
        long.join("\n")
    );
}

#[test]
fn data_and_library_modules_import_nothing_above_them() {
    let mut found = Vec::new();
    for (path, text) in src_files() {
        let code = code_only(&text);
        for (prefix, forbidden) in FORBIDDEN {
            if !path.starts_with(prefix) {
                continue;
            }
            for target in *forbidden {
                for line in lines_naming(&code, target) {
                    let text = code.lines().nth(line - 1).unwrap_or("").trim();
                    found.push(format!("{path}:{line}: names {target}: {text}"));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "imports against the layering (config ← gateway ← request/delivery/server; logging \
         below cli; key_fetch below its presets):\n{}",
        found.join("\n")
    );
}

/// The lines of `code` that name the path `target` or something under it (`crate::delivery`,
/// `crate::delivery::queue`, not `crate::delivery_x`), also as a member of a `use` group
/// (`use crate::{config, delivery::queue}`, over several lines too).
fn lines_naming(code: &str, target: &str) -> Vec<usize> {
    let line_of = |at: usize| code[..at].bytes().filter(|&b| b == b'\n').count() + 1;
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut lines: Vec<usize> = code
        .match_indices(target)
        .filter(|(i, _)| !code[i + target.len()..].starts_with(ident))
        .filter(|(i, _)| !code[..*i].ends_with(ident))
        .map(|(i, _)| line_of(i))
        .collect();
    let (parent, last) = target.rsplit_once("::").expect("a path");
    let group = format!("{parent}::{{");
    for (i, _) in code.match_indices(&group) {
        let start = i + group.len();
        let mut depth = 1;
        let mut member_start = start;
        for (k, c) in code[start..].char_indices() {
            let at = start + k;
            let member_end = match c {
                '{' => {
                    depth += 1;
                    None
                }
                '}' => {
                    depth -= 1;
                    (depth == 0).then_some(at)
                }
                ',' if depth == 1 => Some(at),
                _ => None,
            };
            if let Some(end) = member_end {
                let member = code[member_start..end].trim_start();
                if member.split("::").next().map(str::trim) == Some(last) {
                    lines.push(line_of(member_start + (end - member_start - member.len())));
                }
                member_start = end + 1;
            }
            if depth == 0 {
                break;
            }
        }
    }
    lines.sort_unstable();
    lines.dedup();
    lines
}

#[test]
fn the_scanner_measures_what_it_claims() {
    let code = code_only(
        "fn a() {\n    let s = \"}\"; // }\n    let c = b'\"';\n    let r = r#\"}\"#;\n}\n\
         trait T { fn decl(&self); }\n\
         fn b<'x>(v: &'x [u8; 2]) -> Option<&'x u8> {\n    v.first()\n}\n",
    );
    assert_eq!(
        functions(&code),
        vec![("a".to_string(), 1, 5), ("b".to_string(), 7, 3)]
    );
    let naming = |text: &str| lines_naming(&code_only(text), "crate::delivery");
    assert_eq!(naming("use crate::delivery::queue::Backoff;"), vec![1]);
    assert_eq!(naming("use crate::{config, delivery};"), vec![1]);
    assert_eq!(
        naming("use crate::{\n    config,\n    delivery::queue,\n};"),
        vec![3]
    );
    assert!(naming("use crate::delivery_notes;\nuse crate::{delivery_x};").is_empty());
    assert!(naming("// crate::delivery\n/// [`crate::delivery`]").is_empty());
}
