fn main() -> std::process::ExitCode {
    pvm_vios::main()
}
