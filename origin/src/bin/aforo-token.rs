//! `aforo-token`: signs a JWT for a role (development, demos and tests).
//!
//! `AFORO_JWT_SECRET=... aforo-token --sub buyer-1 --role buyer --ttl-s 86400`

use clap::Parser;

use aforo_origin::auth::{sign, Role};

#[derive(Parser)]
#[command(about = "Signs an Aforo JWT (HS256)")]
struct Args {
    /// The secret the origin verifies with.
    #[arg(long, env = "AFORO_JWT_SECRET", hide_env_values = true)]
    secret: String,
    /// Subject.
    #[arg(long)]
    sub: String,
    /// buyer | seller | ops | edge
    #[arg(long)]
    role: String,
    /// Lifetime in seconds.
    #[arg(long, default_value_t = 86_400)]
    ttl_s: u64,
}

fn main() -> std::process::ExitCode {
    let a = Args::parse();
    let role = match a.role.as_str() {
        "buyer" => Role::Buyer,
        "seller" => Role::Seller,
        "ops" => Role::Ops,
        "edge" => Role::Edge,
        other => {
            eprintln!("aforo-token: unknown role {other:?} (buyer, seller, ops, edge)");
            return std::process::ExitCode::from(2);
        }
    };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    match sign(a.secret.as_bytes(), &a.sub, role, now + a.ttl_s) {
        Ok(t) => {
            println!("{t}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("aforo-token: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
