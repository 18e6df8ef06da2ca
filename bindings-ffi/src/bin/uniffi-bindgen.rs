//! The uniffi binding generator, pinned to the same uniffi version as the library (see `generate.sh`).

fn main() {
    uniffi::uniffi_bindgen_main()
}
