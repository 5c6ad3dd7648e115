# lit.cfg.py — configuration of the OmniLisp lit suite (test/lit).
#
# Every *.omni file under diag/, rir/, llvm/, run/ and tools/ is a test, and
# so is every *.test file (checks of the source tree, e.g. rt/); RUN lines use:
#   %omni-jit, %omni-llc   the tools of the build directory (--param build=DIR,
#                          else $OMNI_BUILD_DIR, else <repo>/build)
#   %check-run             run_check.py: runs a program through both tools and
#                          compares with its `; expect:` comments
#   FileCheck, not         from LLVM 19
# With --param asan=1 (the OMNI_SANITIZE build) the feature `asan` is set, so
# a test that cannot run under the sanitizers says `UNSUPPORTED: asan`.
import os
import sys

import lit.formats

config.name = "OmniLisp"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".omni", ".test"]
# helpers and inputs that are not tests themselves
config.excludes = ["run_check.py", "lit.cfg.py", "lit.site.cfg.py", "Inputs", "README.md"]

config.test_source_root = os.path.dirname(os.path.abspath(__file__))
repo_root = os.path.dirname(os.path.dirname(config.test_source_root))

build_dir = lit_config.params.get("build") or os.environ.get("OMNI_BUILD_DIR") \
    or os.path.join(repo_root, "build")
build_dir = os.path.abspath(build_dir)
config.test_exec_root = os.path.join(build_dir, "test", "lit")

llvm_bin = "/usr/lib/llvm-19/bin"
omni_jit = os.path.join(build_dir, "omni-jit")
omni_llc = os.path.join(build_dir, "omni-llc")
for tool in (omni_jit, omni_llc):
    if not os.path.exists(tool):
        lit_config.note("not built yet: %s (tests that need it will fail)" % tool)

asan = lit_config.params.get("asan", "0") not in ("", "0", "false", "False", "OFF", "off")
if asan:
    config.available_features.add("asan")
# --param tsan=1: the ThreadSanitizer build (it runs threads/ only)
if lit_config.params.get("tsan", "0") not in ("", "0", "false", "False", "OFF", "off"):
    config.available_features.add("tsan")

run_check = os.path.join(config.test_source_root, "run_check.py")
python = sys.executable or "python3"

# Tool names are replaced only where they stand as a command word, not
# inside other words, paths or OmniLisp code such as `(not x)`.
def tool_word(name):
    return r"(?<![\w./%('\"-])" + name + r"(?![\w./-])"

config.substitutions.append(("%check-run", "%s %s --jit %s --llc %s"
                             % (python, run_check, omni_jit, omni_llc)))
config.substitutions.append(("%omni-jit", omni_jit))
config.substitutions.append(("%omni-llc", omni_llc))
config.substitutions.append((tool_word("FileCheck"), os.path.join(llvm_bin, "FileCheck")))
config.substitutions.append((tool_word("not"), os.path.join(llvm_bin, "not")))

# Sanitizer settings: the caller's own settings win (e.g. to turn leak
# checking off while chasing something else); otherwise leaks are errors.
for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TMPDIR", "HOME"):
    if var in os.environ:
        config.environment[var] = os.environ[var]
config.environment.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
config.environment.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
# ThreadSanitizer: a report fails the run (exit 66); liburcu's grace periods
# are invisible to it (test/sanitizer/tsan.supp says which reports that makes)
if "TSAN_OPTIONS" in os.environ:
    config.environment["TSAN_OPTIONS"] = os.environ["TSAN_OPTIONS"]
config.environment.setdefault("TSAN_OPTIONS", "exitcode=66:suppressions=%s"
                              % os.path.join(repo_root, "test", "sanitizer", "tsan.supp"))

# gdb runs the JIT debugging test (test/lit/tools/jit-gdb.omni)
import shutil
if shutil.which("gdb"):
    config.available_features.add("gdb")
