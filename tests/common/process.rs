//! `lvzhi serve` as a child process, for tests that kill it or run several.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// `lvzhi serve` over `url` on a free port, with `env` set too; the child
/// and its address.
pub fn serve(url: &str, env: &[(&str, &str)]) -> (Child, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lvzhi"))
        .arg("serve")
        .current_dir(dir.path())
        .env("DATABASE_URL", url)
        .env("LVZHI_BIND", "127.0.0.1:0")
        .env("LVZHI_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .spawn()
        .expect("lvzhi serve starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    // Keep reading what else it prints, so it never writes into a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let address = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();
    (child, format!("http://{address}"))
}
