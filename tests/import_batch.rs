//! `lvzhi import` with several files: each in its own transaction, each reported
//! with its place in the batch, a failing file named while the others go on
//! (unless `--fail-fast`), and a summary line. The files are the Wuqia list under
//! other towns' names, so the bundled registry resolves them all.

mod common;

use std::path::{Path, PathBuf};

use common::{TestDb, WUQIA, counts, on_each_backend};

on_each_backend!(
    several_files_import_as_one_batch,
    a_failing_file_is_named_and_the_others_imported_unless_fail_fast,
);

/// Other towns of 乌恰县, for copies of the Wuqia list.
const TOWNS: [&str; 4] = ["黑孜苇乡", "吉根乡", "托云乡", "康苏镇"];

/// The bundled department registry's file.
fn registry_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/departments.toml")
}

/// The Wuqia list as the list of `town`, another town of the same county.
fn town_list(town: &str) -> String {
    WUQIA.replace("乌恰镇", town)
}

/// The first `n` town lists, written into `dir`: their paths.
fn write_town_lists(dir: &Path, n: usize) -> Vec<String> {
    TOWNS[..n]
        .iter()
        .enumerate()
        .map(|(i, town)| {
            let path = dir.join(format!("{:04}-乌恰县{town}.txt", i + 1));
            std::fs::write(&path, town_list(town)).unwrap();
            path.display().to_string()
        })
        .collect()
}

/// Run `lvzhi` with a database and the bundled registry's file.
fn lvzhi_with_registry(database_url: &str, args: &[&str]) -> std::process::Output {
    common::lvzhi_cli(database_url, Some(&registry_file()), args)
}

async fn several_files_import_as_one_batch(test: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let paths = write_town_lists(dir.path(), 4);
    let mut args = vec!["import"];
    args.extend(paths.iter().map(String::as_str));
    let output = lvzhi_with_registry(&test.url, &args);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for (i, path) in paths.iter().enumerate() {
        assert!(
            stdout.contains(&format!("[{}/4] {path}: imported as a new list", i + 1)),
            "{stdout}"
        );
    }
    assert!(
        stdout.contains("4 of 4 file(s) done (4 new, 0 new edition(s), 0 unchanged, 0 failed)"),
        "{stdout}"
    );
    assert_eq!(counts(&test.db).await["duty_list"], 4, "{}", test.backend);
}

async fn a_failing_file_is_named_and_the_others_imported_unless_fail_fast(test: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let paths = write_town_lists(dir.path(), 3);
    // The second file, damaged: a row with a column too many.
    let damaged = town_list(TOWNS[1]).replacen("\n1\t", "\n1\textra\t", 1);
    std::fs::write(&paths[1], damaged).unwrap();
    let output = lvzhi_with_registry(
        &test.url,
        &["import", "--fail-fast", &paths[0], &paths[1], &paths[2]],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains(&format!("[2/3] {}: failed", paths[1])),
        "{stderr}"
    );
    assert!(stderr.contains("1 not tried after --fail-fast"), "{stderr}");
    assert_eq!(counts(&test.db).await["duty_list"], 1, "{}", test.backend);

    let output = lvzhi_with_registry(&test.url, &["import", &paths[0], &paths[1], &paths[2]]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "one file failed: {stdout}");
    assert!(
        stderr.contains(&format!("[2/3] {}: failed", paths[1])),
        "{stderr}"
    );
    assert!(
        stderr.contains("line "),
        "the problem's line is given: {stderr}"
    );
    assert!(
        stdout.contains("already imported; nothing changed"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("[3/3] {}: imported as a new list", paths[2])),
        "{stdout}"
    );
    assert!(
        stdout.contains("2 of 3 file(s) done (1 new, 0 new edition(s), 1 unchanged, 1 failed)"),
        "{stdout}"
    );
    assert!(stderr.contains("1 of 3 files failed"), "{stderr}");
    assert_eq!(counts(&test.db).await["duty_list"], 2, "{}", test.backend);
}
