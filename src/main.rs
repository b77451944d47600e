//! The `lvzhi` binary: a thin shell over [`lvzhi::cli`].

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    match lvzhi::cli::main().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
