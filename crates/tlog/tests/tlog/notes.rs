//! Signed notes: the Go reference and C2SP spec examples, round trips, and every refusal.

use tlog::note::{self, NoteError, Signer, Verifier};

// The example of golang.org/x/mod/sumdb/note's documentation, used here as test data.
const GO_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const GO_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const GO_TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                       then you don't know what your problem is.\n";
const GO_NOTE: &str = "If you think cryptography is the answer to your problem,\n\
                       then you don't know what your problem is.\n\
                       \n\
                       \u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

// The example of the C2SP signed-note specification ("Verifier keys").
const SPEC_VKEY: &str = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
const SPEC_NOTE: &str = "This is an example message.\n\
                         \n\
                         \u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

fn go_verifier() -> Verifier {
    Verifier::from_vkey(GO_VKEY).unwrap()
}

fn malformed(result: Result<note::Opened, NoteError>) -> bool {
    matches!(result, Err(NoteError::Malformed(_)))
}

#[test]
fn go_reference_keys_and_signature_are_reproduced() {
    let signer = Signer::from_key_string(GO_SKEY).unwrap();
    assert_eq!(signer.name(), "PeterNeumann");
    assert_eq!(signer.key_id(), 0xc74f20a3);
    assert_eq!(signer.to_key_string(), GO_SKEY);
    assert_eq!(signer.verifier().to_vkey(), GO_VKEY);
    assert_eq!(signer.verifier(), go_verifier());
    // Ed25519 is deterministic, so signing reproduces the published note byte for byte.
    assert_eq!(note::sign(GO_TEXT, &signer).unwrap(), GO_NOTE);
    let opened = note::open(GO_NOTE, &[go_verifier()]).unwrap();
    assert_eq!(opened.text, GO_TEXT);
    assert_eq!(opened.verified_by, vec!["PeterNeumann".to_string()]);
}

#[test]
fn c2sp_spec_example_opens() {
    let verifier = Verifier::from_vkey(SPEC_VKEY).unwrap();
    assert_eq!(verifier.key_id(), 0x530d903a);
    assert_eq!(verifier.to_vkey(), SPEC_VKEY);
    let opened = note::open(SPEC_NOTE, &[verifier]).unwrap();
    assert_eq!(opened.text, "This is an example message.\n");
}

#[test]
fn generated_keys_round_trip() {
    let signer = Signer::generate("gongshu.example/log").unwrap();
    let again = Signer::from_key_string(&signer.to_key_string()).unwrap();
    assert_eq!(again.verifier(), signer.verifier());
    let verifier = Verifier::from_vkey(&signer.verifier().to_vkey()).unwrap();
    assert_eq!(verifier, signer.verifier());
    let key_string = signer.to_key_string();
    let secret = key_string.splitn(5, '+').nth(4).unwrap();
    assert!(!format!("{signer:?}").contains(secret));

    let text = "gongshu.example/log\n1\nbjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=\n";
    let signed = note::sign(text, &signer).unwrap();
    let opened = note::open(&signed, &[go_verifier(), verifier]).unwrap();
    assert_eq!(opened.text, text);
    assert_eq!(opened.verified_by, vec!["gongshu.example/log".to_string()]);
    assert_ne!(
        Signer::generate("a").unwrap().verifier(),
        Signer::generate("a").unwrap().verifier()
    );
}

#[test]
fn any_changed_text_byte_breaks_the_signature() {
    for (position, original) in GO_TEXT.bytes().enumerate() {
        let mut bytes = GO_NOTE.as_bytes().to_vec();
        // Swap in another printable letter so the note stays well-formed UTF-8 text.
        bytes[position] = if original == b'x' { b'y' } else { b'x' };
        let tampered = String::from_utf8(bytes).unwrap();
        let result = note::open(&tampered, &[go_verifier()]);
        if position == GO_TEXT.len() - 1 {
            // The text's final newline is part of the blank line; without it there is none.
            assert!(malformed(result), "byte {position}");
        } else {
            let bad = NoteError::BadSignature {
                name: "PeterNeumann".into(),
            };
            assert_eq!(result, Err(bad), "byte {position}");
        }
    }
}

#[test]
fn changed_signature_bytes_are_refused() {
    let mut signature_line_start =
        GO_NOTE.rfind('\u{2014}').unwrap() + "\u{2014} PeterNeumann ".len();
    // Change the key ID: the signature is then by an unknown key.
    let mut bytes = GO_NOTE.as_bytes().to_vec();
    bytes[signature_line_start] = b'y';
    let other_id = String::from_utf8(bytes).unwrap();
    assert_eq!(
        note::open(&other_id, &[go_verifier()]),
        Err(NoteError::UnknownKey)
    );
    // Change a byte of the signature itself.
    signature_line_start += 20;
    let mut bytes = GO_NOTE.as_bytes().to_vec();
    bytes[signature_line_start] = if bytes[signature_line_start] == b'A' {
        b'B'
    } else {
        b'A'
    };
    let other_signature = String::from_utf8(bytes).unwrap();
    assert_eq!(
        note::open(&other_signature, &[go_verifier()]),
        Err(NoteError::BadSignature {
            name: "PeterNeumann".into()
        })
    );
}

#[test]
fn unknown_keys_are_skipped_but_not_enough() {
    let stranger = Signer::generate("PeterNeumann").unwrap();
    assert_eq!(
        note::open(GO_NOTE, &[stranger.verifier()]),
        Err(NoteError::UnknownKey)
    );
    assert_eq!(note::open(GO_NOTE, &[]), Err(NoteError::UnknownKey));

    // A cosignature by a key the reader does not know is ignored.
    let witness = Signer::generate("witness.example").unwrap();
    let cosigned = note::sign(GO_TEXT, &witness).unwrap();
    let witness_line = &cosigned[cosigned.rfind("\n\n").unwrap() + 2..];
    let both = format!("{GO_NOTE}{witness_line}");
    let opened = note::open(&both, &[go_verifier()]).unwrap();
    assert_eq!(opened.verified_by, vec!["PeterNeumann".to_string()]);
    let opened = note::open(&both, &[go_verifier(), witness.verifier()]).unwrap();
    assert_eq!(
        opened.verified_by,
        vec!["PeterNeumann".to_string(), "witness.example".to_string()]
    );

    // A line that only borrows a known name, with another key's ID, is someone else's key.
    let borrowed = format!(
        "{GO_NOTE}{}",
        witness_line.replace("witness.example", "PeterNeumann")
    );
    let opened = note::open(&borrowed, &[go_verifier()]).unwrap();
    assert_eq!(opened.verified_by, vec!["PeterNeumann".to_string()]);
}

#[test]
fn one_bad_signature_by_a_known_key_refuses_the_note() {
    // A genuine PeterNeumann signature, but over another text.
    let peter = Signer::from_key_string(GO_SKEY).unwrap();
    let other = note::sign("another text\n", &peter).unwrap();
    let misplaced = &other[other.rfind("\n\n").unwrap() + 2..];
    let bad = Err(NoteError::BadSignature {
        name: "PeterNeumann".into(),
    });
    // Even after a good signature by the same key...
    assert_eq!(
        note::open(&format!("{GO_NOTE}{misplaced}"), &[go_verifier()]),
        bad
    );
    // ...or alongside a good signature by another known key.
    let witness = Signer::generate("witness.example").unwrap();
    let cosigned = note::sign(GO_TEXT, &witness).unwrap();
    let note = format!("{cosigned}{misplaced}");
    assert_eq!(note::open(&note, &[go_verifier(), witness.verifier()]), bad);
    assert!(note::open(&note, &[witness.verifier()]).is_ok());
}

#[test]
fn malformed_notes_are_refused() {
    let signature = &GO_NOTE[GO_NOTE.rfind('\u{2014}').unwrap()..];
    let blob = "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=";
    let cases = [
        ("no blank line", format!("{GO_TEXT}{signature}")),
        (
            "no final newline",
            GO_NOTE.trim_end_matches('\n').to_string(),
        ),
        ("nothing after the blank line", format!("{GO_TEXT}\n")),
        (
            "ASCII dashes",
            format!("{GO_TEXT}\n-- PeterNeumann {blob}\n"),
        ),
        (
            "en dash",
            format!("{GO_TEXT}\n\u{2013} PeterNeumann {blob}\n"),
        ),
        (
            "no space after the dash",
            format!("{GO_TEXT}\n\u{2014}PeterNeumann {blob}\n"),
        ),
        (
            "no signature",
            format!("{GO_TEXT}\n\u{2014} PeterNeumann\n"),
        ),
        (
            "empty signature",
            format!("{GO_TEXT}\n\u{2014} PeterNeumann \n"),
        ),
        (
            "bad base64",
            format!("{GO_TEXT}\n\u{2014} PeterNeumann {}!\n", &blob[1..]),
        ),
        (
            "short signature",
            format!("{GO_TEXT}\n\u{2014} PeterNeumann AAAAAA==\n"),
        ),
        (
            "name with plus",
            format!("{GO_TEXT}\n\u{2014} Peter+Neumann {blob}\n"),
        ),
        ("empty name", format!("{GO_TEXT}\n\u{2014}  {blob}\n")),
        ("empty signature line", format!("{GO_NOTE}\n")),
        (
            "carriage return",
            GO_NOTE.replace("problem,\n", "problem,\r\n"),
        ),
        (
            "too many signatures",
            format!("{GO_NOTE}{}", signature.repeat(100)),
        ),
    ];
    for (what, text) in cases {
        assert!(
            malformed(note::open(&text, &[go_verifier()])),
            "{what} accepted: {text:?}"
        );
    }
}

#[test]
fn texts_that_cannot_be_signed_are_refused() {
    let signer = Signer::from_key_string(GO_SKEY).unwrap();
    for text in ["", "no newline", "tab\there\n", "bell\u{7}\n"] {
        assert_eq!(
            note::sign(text, &signer),
            Err(NoteError::InvalidText),
            "{text:?}"
        );
    }
}

#[test]
fn bad_keys_are_refused() {
    for name in ["", "a b", "a+b", "tab\tname", "ideographic\u{3000}space"] {
        assert_eq!(
            Signer::generate(name).unwrap_err(),
            NoteError::InvalidName(name.into())
        );
    }
    let invalid_key = |text: &str| {
        let signer = Signer::from_key_string(text);
        let verifier = Verifier::from_vkey(text.trim_start_matches("PRIVATE+KEY+"));
        matches!(signer, Err(NoteError::InvalidKey(_))) && verifier.is_err()
    };
    let cases = [
        "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+PeterNeumann+c74f20a+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AoEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKD",
        "PRIVATE+KEY+PeterNeumann+c74f20a3+not*base64",
        "PRIVATE+KEY+PeterNeumann+c74f20a3",
    ];
    for text in cases {
        assert!(invalid_key(text), "{text} accepted");
    }
    assert!(matches!(
        Signer::from_key_string(GO_VKEY),
        Err(NoteError::InvalidKey(_))
    ));
    assert!(Verifier::from_vkey(
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TX"
    )
    .is_err());
    assert!(matches!(
        Verifier::from_vkey("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
        Err(NoteError::InvalidName(_))
    ));
}
