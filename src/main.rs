use clap::Parser;

fn main() {
    let cli = hookgate::cli::Cli::parse();
    std::process::exit(hookgate::cli::main_with(cli));
}
