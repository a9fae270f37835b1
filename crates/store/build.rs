//! Rebuilds the crate when a migration changes: `include_str!` embeds the files at compile time,
//! and cargo would not otherwise notice a new `.sql` file (the unit test then asks for it to be
//! listed).

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
