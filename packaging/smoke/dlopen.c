/* packaging/test-musl.sh: loads a shared library with the musl dynamic loader (every relocation bound
 * at load, as musl always does) and looks one symbol up. Built by zig for the musl target. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: dlopen LIBRARY SYMBOL\n"); return 2; }
    void *handle = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!handle) { printf("dlopen failed: %s\n", dlerror()); return 1; }
    if (!dlsym(handle, argv[2])) { printf("dlsym %s failed: %s\n", argv[2], dlerror()); return 1; }
    printf("loaded %s, found %s\n", argv[1], argv[2]);
    return 0;
}
