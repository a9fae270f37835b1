//! `gongshu log …`: check a Gongshu access log from outside, as any member of the public can.
//!
//! `verify` fetches the signed checkpoint, checks its signature against the verifier key (given,
//! remembered in the state file, or trusted on first use), proves it consistent with the
//! checkpoint remembered from the last run, and recomputes the root from the entries. `prove`
//! fetches a receipt for one entry; `verify-receipt` checks one offline.

use anyhow::{anyhow, bail, Context};
use clap::{Args, Subcommand};
use model::log::Leaf;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tlog::checkpoint::Checkpoint;
use tlog::note::Verifier;
use tlog::receipt::Receipt;
use tlog::tree::TreeBuilder;
use tlog::Hash;

/// Entries fetched per request (the server's maximum).
const PAGE: u64 = 1000;

#[derive(Subcommand)]
pub enum LogCommand {
    /// Verify a server's log: signature, consistency with the remembered checkpoint, and every
    /// entry (or a range). Exits non-zero with a loud message on any inconsistency.
    Verify(VerifyArgs),
    /// Print a receipt for one entry (the entry, its inclusion proof and the signed checkpoint).
    Prove(ProveArgs),
    /// Check a receipt offline against the log's verifier key.
    VerifyReceipt(VerifyReceiptArgs),
}

#[derive(Args)]
pub struct VerifyArgs {
    /// Base URL of the Gongshu server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// File remembering the last verified checkpoint and the verifier key; created if missing.
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// The verifier key to trust (`name+id+key`); default: the one in the state file, or the
    /// server's on first use.
    #[arg(long)]
    pub vkey: Option<String>,
    /// First entry to check (default 0).
    #[arg(long)]
    pub start: Option<u64>,
    /// End of the range to check, exclusive (default: the checkpoint's size).
    #[arg(long)]
    pub end: Option<u64>,
}

#[derive(Args)]
pub struct ProveArgs {
    /// Index of the entry (e.g. from a response's `Gongshu-Log-Index` header).
    pub index: u64,
    /// Base URL of the Gongshu server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// The verifier key to check the receipt with before printing it; default: the server's.
    #[arg(long)]
    pub vkey: Option<String>,
}

#[derive(Args)]
pub struct VerifyReceiptArgs {
    /// The receipt file (JSON, as printed by `gongshu log prove` or downloaded from the portal).
    pub file: PathBuf,
    /// The log's verifier key (`name+id+key`, published at /log/vkey).
    #[arg(long)]
    pub vkey: Option<String>,
    /// A state file of `gongshu log verify`, whose remembered key is used when --vkey is absent.
    #[arg(long)]
    pub state: Option<PathBuf>,
}

/// What `verify` remembers between runs.
#[derive(Debug, Serialize, Deserialize)]
struct State {
    vkey: String,
    size: u64,
    root: Hash,
    checkpoint: String,
}

/// A verification failure: the log is not what it claims to be.
#[derive(Debug)]
struct Inconsistent(String);

impl std::fmt::Display for Inconsistent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::error::Error for Inconsistent {}

fn inconsistent(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Inconsistent(message.into()))
}

/// Runs a `log` subcommand. Inconsistencies are reported with a banner on stderr.
pub async fn run(cmd: LogCommand) -> anyhow::Result<()> {
    let outcome = match cmd {
        LogCommand::Verify(args) => verify(args).await,
        LogCommand::Prove(args) => prove(args).await,
        LogCommand::VerifyReceipt(args) => verify_receipt(args),
    };
    if let Err(e) = &outcome {
        if let Some(Inconsistent(message)) = e.downcast_ref::<Inconsistent>() {
            let bar = "!".repeat(78);
            eprintln!("{bar}\n!! LOG VERIFICATION FAILED\n!! {message}\n{bar}");
        }
    }
    outcome
}

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    fn new(url: &str) -> anyhow::Result<Client> {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .build()?;
        Ok(Client {
            http,
            base: url.trim_end_matches('/').to_string(),
        })
    }

    async fn get(&self, path: &str) -> anyhow::Result<reqwest::Response> {
        let url = format!("{}{path}", self.base);
        let response = self
            .http
            .get(&url)
            .send()
            .await
            .with_context(|| format!("cannot reach {url}"))?;
        if !response.status().is_success() {
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            bail!("{url} answered {status}: {body}");
        }
        Ok(response)
    }

    async fn text(&self, path: &str) -> anyhow::Result<String> {
        Ok(self.get(path).await?.text().await?)
    }

    async fn json<T: serde::de::DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        let text = self.text(path).await?;
        serde_json::from_str(&text).with_context(|| format!("unexpected answer from {path}"))
    }
}

#[derive(Deserialize)]
struct EntriesPage {
    entries: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    index: u64,
    data: String,
}

#[derive(Deserialize)]
struct Proof {
    proof: Vec<Hash>,
}

fn parse_vkey(text: &str) -> anyhow::Result<Verifier> {
    Verifier::from_vkey(text.trim()).map_err(|e| anyhow!("not a verifier key ({e}): {text}"))
}

fn read_state(path: &Path) -> anyhow::Result<Option<State>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a state file of `gongshu log verify`",
                path.display()
            )
        })?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn write_state(path: &Path, state: &State) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_string_pretty(state)?)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// Opens a signed checkpoint with the trusted key.
fn open_checkpoint(note: &str, verifier: &Verifier) -> anyhow::Result<Checkpoint> {
    let opened = tlog::note::open(note, std::slice::from_ref(verifier)).map_err(|e| {
        inconsistent(format!(
            "the checkpoint is not validly signed by {}: {e}",
            verifier.name()
        ))
    })?;
    let checkpoint = Checkpoint::parse(&opened.text)
        .map_err(|e| inconsistent(format!("the signed checkpoint is malformed: {e}")))?;
    if checkpoint.origin != verifier.name() {
        return Err(inconsistent(format!(
            "the checkpoint is for log `{}`, not `{}`",
            checkpoint.origin,
            verifier.name()
        )));
    }
    Ok(checkpoint)
}

async fn verify(args: VerifyArgs) -> anyhow::Result<()> {
    let client = Client::new(&args.url)?;
    let previous = match &args.state {
        Some(p) => read_state(p)?,
        None => None,
    };
    let served = parse_vkey(&client.text("/log/vkey").await?)?;
    let trusted = match (&args.vkey, &previous) {
        (Some(k), _) => parse_vkey(k)?,
        (None, Some(s)) => parse_vkey(&s.vkey)?,
        (None, None) => {
            println!(
                "Trusting the server's verifier key on first use: {}",
                served.to_vkey()
            );
            served.clone()
        }
    };
    if served.to_vkey() != trusted.to_vkey() {
        return Err(inconsistent(format!(
            "the server now publishes the verifier key {} but the trusted key is {}",
            served.to_vkey(),
            trusted.to_vkey()
        )));
    }
    let note = client.text("/log/checkpoint").await?;
    let checkpoint = open_checkpoint(&note, &trusted)?;
    let size = checkpoint.size;
    println!(
        "Checkpoint of {}: {size} entries, root {}",
        checkpoint.origin,
        checkpoint.root.to_hex()
    );

    if let Some(old) = &previous {
        if old.size > size {
            return Err(inconsistent(format!(
                "the log was rolled back: it had {} entries at the last check and now claims {size}",
                old.size
            )));
        }
        if old.size == size && old.root != checkpoint.root {
            return Err(inconsistent(format!(
                "the log was rewritten: {size} entries with root {} at the last check, now root {}",
                old.root.to_hex(),
                checkpoint.root.to_hex()
            )));
        }
        if old.size > 0 && old.size < size {
            let proof: Proof = client
                .json(&format!(
                    "/log/proof/consistency?first={}&second={size}",
                    old.size
                ))
                .await?;
            tlog::verify_consistency(old.size, size, &proof.proof, &old.root, &checkpoint.root)
                .map_err(|e| {
                    inconsistent(format!(
                        "the log forked: the checkpoint of {size} entries does not extend the one of {} remembered from the last check ({e})",
                        old.size
                    ))
                })?;
        }
        println!(
            "Consistent with the checkpoint of {} entries remembered from the last check.",
            old.size
        );
    }

    let start = args.start.unwrap_or(0);
    let end = args.end.unwrap_or(size).min(size);
    if start > end {
        bail!("--start must not be greater than --end (or the log's size, {size})");
    }
    // The whole log is recomputed into a root; a range is checked entry by entry with proofs.
    let mut builder = (start == 0 && end == size).then(TreeBuilder::new);
    let mut next = start;
    while next < end {
        let page_end = (next + PAGE).min(end);
        let page: EntriesPage = client
            .json(&format!("/log/entries?start={next}&end={page_end}"))
            .await?;
        if page.entries.len() as u64 != page_end - next {
            return Err(inconsistent(format!(
                "the server returned {} entries for {next}..{page_end}",
                page.entries.len()
            )));
        }
        for entry in page.entries {
            if entry.index != next {
                return Err(inconsistent(format!(
                    "expected entry {next}, the server sent entry {}",
                    entry.index
                )));
            }
            if Leaf::parse(&entry.data).is_none() {
                return Err(inconsistent(format!(
                    "entry {next} is not a well-formed leaf: {}",
                    entry.data
                )));
            }
            let leaf = tlog::leaf_hash(entry.data.as_bytes());
            match &mut builder {
                Some(b) => b.push(leaf),
                None => {
                    let proof: Proof = client
                        .json(&format!(
                            "/log/proof/inclusion?index={next}&tree_size={size}"
                        ))
                        .await?;
                    tlog::verify_inclusion(&leaf, next, size, &proof.proof, &checkpoint.root)
                        .map_err(|e| {
                            inconsistent(format!(
                                "entry {next} as served is not in the signed tree ({e})"
                            ))
                        })?;
                }
            }
            next += 1;
        }
    }
    match builder {
        Some(b) => {
            if b.root() != checkpoint.root {
                return Err(inconsistent(format!(
                    "the {size} entries served hash to root {}, but the signed checkpoint says {}: entries were altered",
                    b.root().to_hex(),
                    checkpoint.root.to_hex()
                )));
            }
            println!("All {size} entries recomputed: the root matches the signed checkpoint.");
        }
        None => println!(
            "Entries {start}..{end} checked with inclusion proofs against the signed checkpoint."
        ),
    }
    if let Some(path) = &args.state {
        write_state(
            path,
            &State {
                vkey: trusted.to_vkey(),
                size,
                root: checkpoint.root,
                checkpoint: note,
            },
        )?;
        println!("Remembered this checkpoint in {}.", path.display());
    }
    println!("OK: the log verifies.");
    Ok(())
}

async fn prove(args: ProveArgs) -> anyhow::Result<()> {
    let client = Client::new(&args.url)?;
    let verifier = match &args.vkey {
        Some(k) => parse_vkey(k)?,
        None => parse_vkey(&client.text("/log/vkey").await?)?,
    };
    let receipt: Receipt = client.json(&format!("/log/receipt/{}", args.index)).await?;
    receipt
        .verify(&verifier)
        .map_err(|e| inconsistent(format!("the server's receipt does not verify: {e}")))?;
    println!("{}", serde_json::to_string_pretty(&receipt)?);
    Ok(())
}

fn verify_receipt(args: VerifyReceiptArgs) -> anyhow::Result<()> {
    let verifier = match (&args.vkey, &args.state) {
        (Some(k), _) => parse_vkey(k)?,
        (None, Some(p)) => parse_vkey(
            &read_state(p)?
                .ok_or_else(|| anyhow!("{} does not exist", p.display()))?
                .vkey,
        )?,
        (None, None) => bail!(
            "give the log's verifier key with --vkey (it is published at /log/vkey) or a state file of `gongshu log verify` with --state"
        ),
    };
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let receipt: Receipt = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a receipt", args.file.display()))?;
    let checkpoint = receipt
        .verify(&verifier)
        .map_err(|e| inconsistent(format!("the receipt does not verify: {e}")))?;
    println!(
        "OK: entry {} is in the log {} of {} entries (root {}), signed by {}.",
        receipt.index,
        checkpoint.origin,
        checkpoint.size,
        checkpoint.root.to_hex(),
        verifier.name()
    );
    println!("{}", receipt.leaf);
    Ok(())
}
