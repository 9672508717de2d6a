// Planted-NaN self-test of the harnesses' comparisons (harness_common.h): a check that cannot fail proves
// nothing, and the float checks once accumulated their error with std::max(err, e), which drops a NaN, so a
// kernel writing NaN passed every toleranced check. Here NaNs are planted where each comparison must catch them:
// straight into compare() (first, middle and last position, tol 0 and tol > 0, after a larger finite error) and
// into worse() (the accumulator sparse_conv_reference.h uses), and through a real kernel, nnc_ew_fill writing NaN
// into a buffer that should hold zeros. Each planted case must come back as a failure; a NaN that meets a NaN,
// and a clean buffer, must still pass (so the comparator is not just failing everything).
// Prints "caught ..." / "MISSED ..." per case (a comparison that failed as planted shows as "rejected(...)") and "PASS/FAIL: n planted case(s) missed"; exit 0 when every
// planted NaN was caught, 1 otherwise, 2 without a device. Emulated (scripts/emulate-kernels.sh) as the others:
//   g++ -std=c++20 -O1 -pthread -DNNC_EMULATE -x c++ comparator_selftest_harness.cu
#include "harness_common.h"
#include "../elementwise.cu"

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

static int missed = 0;

// Runs one comparison that must (or must not) fail; compare()'s own failure count is restored, so that a
// planted failure does not count as a real one and a real one is not hidden.
static void expect(const char* what, bool should_fail, const std::function<std::string()>& check) {
    int before = failures;
    std::string verdict = check();
    bool failed = verdict.rfind("FAIL", 0) == 0;
    failures = before;
    // "rejected(...)" rather than compare()'s "FAIL(...)": a planted failure that was caught is this harness passing,
    // and logs searched for FAIL should find only real failures
    if (failed) verdict = "rejected" + verdict.substr(4);
    if (failed == should_fail) {
        std::printf("caught: %s -> %s\n", what, verdict.c_str());
    } else {
        missed++;
        std::printf("MISSED: %s -> %s (expected %s)\n", what, verdict.c_str(), should_fail ? "a failure" : "a pass");
    }
}

static void expect_worse_nan(const char* what, std::vector<double> errors) {
    double acc = 0;
    for (double e : errors) acc = worse(acc, e);
    bool caught = !(acc <= 1e-6);  // how the harnesses test the accumulated error
    if (!caught) missed++;
    std::printf("%s: worse() over %s -> %g\n", caught ? "caught" : "MISSED", what, acc);
}

int main() {
    if (!have_device()) return 2;
    const std::vector<double> want = {1.0, -2.0, 0.5, 0.0, 3.0};
    auto with_nan_at = [&](size_t i) { std::vector<float> g(want.begin(), want.end()); g[i] = NAN; return g; };
    for (double tol : {0.0, 1e-6, 1e-2}) {
        for (size_t at : {(size_t) 0, (size_t) 2, want.size() - 1}) {
            std::string what = "NaN at " + std::to_string(at) + ", tol " + std::to_string(tol);
            expect(what.c_str(), true, [&] { return compare(with_nan_at(at), want, tol); });
        }
    }
    // a larger finite error first, still within tol, then the NaN: the NaN must not be absorbed by the max
    std::vector<float> drift(want.begin(), want.end());
    drift[0] += 1e-3f;
    drift[4] = NAN;
    expect("finite error within tol, then NaN", true, [&] { return compare(drift, want, 1e-2); });
    // controls: NaN meeting NaN and a clean result pass
    expect("NaN where the reference is NaN (control)", false, [&] { return compare(std::vector<float>{NAN, 1.f}, std::vector<double>{NAN, 1.0}, 1e-6); });
    expect("clean copy (control)", false, [&] { return compare(std::vector<float>(want.begin(), want.end()), want, 0); });

    expect_worse_nan("{NaN, 0.1}", {NAN, 0.1});  // the `if (!(e <= worst)) worst = e` form forgot this one
    expect_worse_nan("{0.1, NaN}", {0.1, NAN});
    expect_worse_nan("{0, NaN, 0}", {0.0, NAN, 0.0});

    // a real kernel writing NaN where the reference says 0, and the same kernel writing the right value
    const long long n = 4099;
    Dev d;
    float* dy = d.zeros(n);
    std::vector<double> zeros(n, 0.0);
    LAUNCH(nnc_ew_fill, grid1d(n), 256, dy, NAN, n);
    CHECK(cudaDeviceSynchronize());
    std::vector<float> got = get(dy, n);
    expect("nnc_ew_fill writing NaN, tol 0", true, [&] { return compare(got, zeros, 0); });
    expect("nnc_ew_fill writing NaN, tol 1e-6", true, [&] { return compare(got, zeros, 1e-6); });
    LAUNCH(nnc_ew_fill, grid1d(n), 256, dy, 0.f, n);
    CHECK(cudaDeviceSynchronize());
    expect("nnc_ew_fill writing 0 (control)", false, [&] { return compare(get(dy, n), zeros, 0); });

    std::printf("%s: %d planted case(s) missed\n", missed ? "FAIL" : "PASS", missed);
    return missed ? 1 : 0;
}
