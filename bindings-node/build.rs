fn main() {
    napi_build::setup();
    // napi-derive writes native.d.ts's type definitions while compiling when this names a folder
    // (mk/node.mk sets it): a build made without it must compile again to write them.
    println!("cargo:rerun-if-env-changed=NAPI_TYPE_DEF_TMP_FOLDER");
}
