//! Checkpoint text: printing and strict parsing.

use tlog::{leaf_hash, Checkpoint, CheckpointError};

const ROOT: &str = "rra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnc=";

fn check(text: &str, expected: Result<(&str, u64, &[&str]), CheckpointError>) {
    let parsed = Checkpoint::parse(text);
    match expected {
        Ok((origin, size, extensions)) => {
            let checkpoint = parsed.unwrap_or_else(|e| panic!("{text:?} refused: {e}"));
            assert_eq!(checkpoint.origin, origin);
            assert_eq!(checkpoint.size, size);
            assert_eq!(checkpoint.root.to_base64(), ROOT);
            assert_eq!(checkpoint.extensions, extensions);
            assert_eq!(checkpoint.to_text(), text, "printing gives the text back");
        }
        Err(error) => assert_eq!(parsed, Err(error), "{text:?}"),
    }
}

#[test]
fn well_formed_checkpoints_round_trip() {
    check(
        &format!("example.gov.cn/log\n3\n{ROOT}\n"),
        Ok(("example.gov.cn/log", 3, &[])),
    );
    check(&format!("o\n0\n{ROOT}\n"), Ok(("o", 0, &[])));
    check(
        &format!("go.sum database tree\n18446744073709551615\n{ROOT}\nTimestamp: 1\nx y\n"),
        Ok(("go.sum database tree", u64::MAX, &["Timestamp: 1", "x y"])),
    );
}

#[test]
fn malformed_checkpoints_are_refused() {
    use CheckpointError::*;
    check(&format!("log\n3\n{ROOT}"), Err(MissingNewline));
    check("", Err(MissingNewline));
    check("log\n3\n", Err(TooFewLines(2)));
    check("\n", Err(TooFewLines(1)));
    check(&format!("\n3\n{ROOT}\n"), Err(EmptyOrigin));
    check(&format!("log\n03\n{ROOT}\n"), Err(BadSize("03".into())));
    check(&format!("log\n-3\n{ROOT}\n"), Err(BadSize("-3".into())));
    check(&format!("log\n\n{ROOT}\n"), Err(BadSize(String::new())));
    check(&format!("log\n3 \n{ROOT}\n"), Err(BadSize("3 ".into())));
    let short_root = "rra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbg==";
    check(
        &format!("log\n3\n{short_root}\n"),
        Err(BadRoot(short_root.into())),
    );
    check("log\n3\nnot base64!\n", Err(BadRoot("not base64!".into())));
    let hex_root = leaf_hash(b"").to_hex();
    check(
        &format!("log\n3\n{hex_root}\n"),
        Err(BadRoot(hex_root.clone())),
    );
    check(&format!("log\n3\n{ROOT}\n\n"), Err(EmptyExtension(1)));
    check(
        &format!("log\n3\n{ROOT}\next\n\nmore\n"),
        Err(EmptyExtension(2)),
    );
}

#[test]
fn constructed_checkpoints_print_the_c2sp_layout() {
    let mut checkpoint = Checkpoint::new("gongshu.example/log", 70, leaf_hash(b""));
    assert_eq!(
        checkpoint.to_text(),
        "gongshu.example/log\n70\nbjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=\n"
    );
    checkpoint.extensions.push("Timestamp: 1700000000".into());
    let text = checkpoint.to_text();
    assert!(text.ends_with("\nTimestamp: 1700000000\n"));
    assert_eq!(Checkpoint::parse(&text), Ok(checkpoint));
}
