fn main() -> std::process::ExitCode {
    pvm_fsp::main()
}
