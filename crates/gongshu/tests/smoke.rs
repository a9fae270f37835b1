//! Smoke test of the built binary: administration commands, import, and serve.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn gongshu(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gongshu"))
        .args(args)
        .env("GONGSHU_DATA_DIR", dir)
        .env("GONGSHU_PASSWORD", "a long password")
        .env_remove("GONGSHU_DATABASE_URL")
        .output()
        .expect("runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn administration_and_import() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ok, help, _) = gongshu(d, &["--help"]);
    assert!(ok);
    for cmd in ["serve", "import", "user", "org"] {
        assert!(help.contains(cmd), "{help}");
    }
    let (ok, _, err) = gongshu(
        d,
        &[
            "org",
            "create",
            "--name",
            "transport",
            "--title",
            "交通运输局",
            "--kind",
            "department",
        ],
    );
    assert!(ok, "{err}");
    let (ok, _, err) = gongshu(
        d,
        &[
            "org",
            "create",
            "--name",
            "acme",
            "--title",
            "Acme",
            "--kind",
            "enterprise",
            "--uscc",
            "91350100M000100Y44",
        ],
    );
    assert!(!ok);
    assert!(err.contains("invalid_uscc"), "{err}");
    let (ok, _, err) = gongshu(
        d,
        &[
            "user",
            "create",
            "--username",
            "wang",
            "--role",
            "staff",
            "--org",
            "transport",
        ],
    );
    assert!(ok, "{err}");
    let (ok, out, _) = gongshu(d, &["user", "list"]);
    assert!(
        ok && out.contains("wang") && out.contains("transport"),
        "{out}"
    );

    let csv = d.join("stops.csv");
    std::fs::write(
        &csv,
        "站点,电话,线路数\n文三路口,13812345678,3\n西湖公园,13987654321,5\n",
    )
    .unwrap();
    let (ok, out, err) = gongshu(
        d,
        &[
            "import",
            csv.to_str().unwrap(),
            "--dataset",
            "bus-stops",
            "--as",
            "wang",
            "--title",
            "公交站点",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("Imported 2 rows"), "{out}");
    assert!(out.contains("mobile"), "{out}");
    let (ok, out, _) = gongshu(
        d,
        &[
            "import",
            csv.to_str().unwrap(),
            "--dataset",
            "bus-stops",
            "--as",
            "wang",
        ],
    );
    assert!(ok && out.contains("version 2"), "{out}");

    // Versions in the current layout are left alone unless forced; a forced rewrite replaces
    // each file and removes the old one.
    let parquet_files = || {
        let mut found = Vec::new();
        let mut dirs = vec![d.join("versions")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "parquet") {
                    found.push(path);
                }
            }
        }
        found.sort();
        found
    };
    let before = parquet_files();
    assert_eq!(before.len(), 2);
    let (ok, out, err) = gongshu(d, &["versions", "rewrite"]);
    assert!(ok && out.contains("0 versions rewritten"), "{out}{err}");
    let (ok, out, err) = gongshu(
        d,
        &["versions", "rewrite", "--dataset", "bus-stops", "--force"],
    );
    assert!(ok && out.contains("2 versions rewritten"), "{out}{err}");
    assert!(out.contains("bus-stops/data version 1"), "{out}");
    let after = parquet_files();
    assert_eq!(after.len(), 2);
    assert!(after.iter().all(|p| !before.contains(p)), "{after:?}");
    let (ok, _, err) = gongshu(d, &["versions", "rewrite", "--dataset", "no-such"]);
    assert!(!ok && err.contains("no dataset named `no-such`"), "{err}");

    let bad = d.join("bad.csv");
    std::fs::write(&bad, "a,b\n1,2,3\n").unwrap();
    let (ok, _, err) = gongshu(
        d,
        &[
            "import",
            bad.to_str().unwrap(),
            "--dataset",
            "bus-stops",
            "--as",
            "wang",
        ],
    );
    assert!(!ok);
    assert!(err.contains("ragged_rows"), "{err}");

    let (ok, out, err) = gongshu(
        d,
        &[
            "dataset",
            "update",
            "bus-stops",
            r#"{"tags": ["公交"], "license": "CC BY 4.0"}"#,
            "--as",
            "wang",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("Updated"), "{out}");
    let (ok, out, _) = gongshu(d, &["dataset", "show", "bus-stops"]);
    assert!(
        ok && out.contains("CC BY 4.0") && out.contains("\"grade\": \"L3\""),
        "{out}"
    );
    let (ok, out, _) = gongshu(d, &["dataset", "list"]);
    assert!(
        ok && out.contains("bus-stops") && out.contains("conditional"),
        "{out}"
    );
    let (ok, _, err) = gongshu(
        d,
        &[
            "dataset",
            "update",
            "bus-stops",
            r#"{"colour": 1}"#,
            "--as",
            "wang",
        ],
    );
    assert!(!ok && err.contains("unknown"), "{err}");
    let (ok, _, err) = gongshu(
        d,
        &[
            "dataset",
            "delete-resource",
            "bus-stops",
            "data",
            "--as",
            "wang",
        ],
    );
    assert!(ok, "{err}");
    let (ok, _, err) = gongshu(d, &["dataset", "delete", "bus-stops", "--as", "wang"]);
    assert!(ok, "{err}");
    let (ok, out, _) = gongshu(d, &["dataset", "list"]);
    assert!(ok && !out.contains("bus-stops"), "{out}");

    let (ok, token, err) = gongshu(d, &["user", "token", "wang", "--days", "7"]);
    assert!(ok, "{err}");
    assert!(token.trim().starts_with("gs_"));
    let (ok, out, err) = gongshu(d, &["user", "passwd", "wang"]);
    assert!(ok, "{err}");
    assert!(out.contains("revoked"), "{out}");
}

#[test]
fn serve_answers_health_checks() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_gongshu"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env_remove("GONGSHU_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find(|l| l.contains("serving on"))
        .expect("prints its address");
    let url = line.split_whitespace().last().unwrap().to_string();
    let addr = url.trim_start_matches("http://");
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.ends_with("ok"), "{response}");
}
