fn main() -> std::process::ExitCode {
    pvm_san::main()
}
