//! `uniffi-bindgen generate <lib.so> --language kotlin --out-dir …`, at the library's uniffi version.
fn main() {
    uniffi::uniffi_bindgen_main()
}
