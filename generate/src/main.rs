//! `lvzhi-generate`: write synthetic lists of many towns and their department
//! registry into a directory, for `lvzhi import` to read.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::Parser;
use lvzhi_generate::{DEFAULT_SEED, Generated, REGISTRY_FILE, generate};

/// Generate synthetic lists of many towns, derived from the bundled Wuqia list,
/// with their department registry: `DIR/departments.toml` and one
/// `DIR/NNNN-<county><town>.txt` per town. Import them with
/// `LVZHI_DEPARTMENTS=DIR/departments.toml lvzhi import DIR/*.txt`.
#[derive(Debug, Parser)]
#[command(name = "lvzhi-generate", version)]
struct Args {
    /// How many towns (0 to 9999; 10 to 20 per county).
    #[arg(long, value_name = "N")]
    towns: usize,
    /// The directory to write to: created if missing, and must be empty.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// The seed: the same seed gives the same files.
    #[arg(long, value_name = "S", default_value_t = DEFAULT_SEED)]
    seed: u64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let started = Instant::now();
    refuse_non_empty(&args.out)?;
    let generated = generate(args.towns, args.seed)?;
    let bytes = write_files(&generated, &args.out)?;
    println!(
        "wrote {} lists of {} towns in {} counties and {} to {} ({:.1} MB) in {:.2} s",
        generated.lists.len(),
        args.towns,
        generated.counties,
        REGISTRY_FILE,
        args.out.display(),
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    println!(
        "import them with: LVZHI_DEPARTMENTS={} lvzhi import {}",
        args.out.join(REGISTRY_FILE).display(),
        args.out.join("*.txt").display()
    );
    Ok(())
}

/// Refuse an output directory that has files: stale lists of an earlier, larger
/// run would stay in `DIR/*.txt` and name counties the new registry lacks.
fn refuse_non_empty(out: &Path) -> anyhow::Result<()> {
    if !out.exists() {
        return Ok(());
    }
    let mut entries =
        std::fs::read_dir(out).with_context(|| format!("cannot read {}", out.display()))?;
    if entries.next().is_some() {
        anyhow::bail!(
            "{} is not empty: choose a new directory or empty this one",
            out.display()
        );
    }
    Ok(())
}

/// Write every generated file into `out` (created if missing); the bytes written.
fn write_files(generated: &Generated, out: &Path) -> anyhow::Result<usize> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut bytes = 0;
    for file in generated.files() {
        let path = out.join(&file.name);
        std::fs::write(&path, &file.contents)
            .with_context(|| format!("cannot write {}", path.display()))?;
        bytes += file.contents.len();
    }
    Ok(bytes)
}
