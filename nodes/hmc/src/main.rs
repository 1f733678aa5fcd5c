fn main() -> std::process::ExitCode {
    pvm_hmc::main()
}
