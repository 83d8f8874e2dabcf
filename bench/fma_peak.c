/* fma_peak.c - measures this core's single-thread f32 FMA throughput.
 *
 * The benchmark harness (bench/bench.py) divides the GEMM microbenchmark's
 * GFLOP/s by this number, so the peak is measured on the machine at hand
 * instead of being looked up in a table (clock, turbo, SMT siblings and
 * double-pumped AVX-512 all differ between hosts).
 *
 * Build with the host's vector ISA:  cc -O2 -march=native fma_peak.c -o fma_peak
 *
 * Each kernel keeps CHAINS independent accumulators in vector registers and
 * updates each with one fused multiply-add per step. One chain alone would
 * measure the FMA latency (4-5 cycles); 2 FMA pipes x 5 cycles latency need
 * at least 10 chains in flight, so 12 leave some slack while still fitting
 * in the 16 registers of AVX2 (AVX-512 has 32).
 *
 * Output (one "key: value" per line, parsed by bench.py):
 *   isa: avx512            widest kernel compiled in
 *   gflops_avx2: ...       per kernel
 *   gflops_avx512: ...
 *   peak_gflops: ...       best of all kernels
 */
#define _POSIX_C_SOURCE 199309L
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

#define CHAINS 12
#define STEPS 4096 /* FMAs per chain per block; BLOCKS blocks are timed */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A sink the optimiser cannot see through, so the chains are not deleted. */
static volatile float sink;

/* The chains are separate named variables written out one by one, not an
 * array: GCC at -O2 does not unroll a loop over an accumulator array and
 * keeps it in memory, which would measure store-to-load forwarding instead
 * of the FMA units.  acc = acc * a + b with a < 1 converges to b / (1 - a),
 * so the values stay finite and normal however long it runs (no denormal or
 * inf slow paths). */
#define BLOCKS 64

#if defined(__AVX2__) && defined(__FMA__)
static double peak_avx2(double min_seconds) {
  const __m256 a = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(0.001f);
  __m256 acc0 = _mm256_set1_ps(0.0f);
  __m256 acc1 = _mm256_set1_ps(1.0f);
  __m256 acc2 = _mm256_set1_ps(2.0f);
  __m256 acc3 = _mm256_set1_ps(3.0f);
  __m256 acc4 = _mm256_set1_ps(4.0f);
  __m256 acc5 = _mm256_set1_ps(5.0f);
  __m256 acc6 = _mm256_set1_ps(6.0f);
  __m256 acc7 = _mm256_set1_ps(7.0f);
  __m256 acc8 = _mm256_set1_ps(8.0f);
  __m256 acc9 = _mm256_set1_ps(9.0f);
  __m256 acc10 = _mm256_set1_ps(10.0f);
  __m256 acc11 = _mm256_set1_ps(11.0f);
  double best = 0.0;
  double start_all = now_s();
  do {
    double t0 = now_s();
    for (long step = 0; step < BLOCKS * STEPS; ++step) {
      acc0 = _mm256_fmadd_ps(acc0, a, b);
      acc1 = _mm256_fmadd_ps(acc1, a, b);
      acc2 = _mm256_fmadd_ps(acc2, a, b);
      acc3 = _mm256_fmadd_ps(acc3, a, b);
      acc4 = _mm256_fmadd_ps(acc4, a, b);
      acc5 = _mm256_fmadd_ps(acc5, a, b);
      acc6 = _mm256_fmadd_ps(acc6, a, b);
      acc7 = _mm256_fmadd_ps(acc7, a, b);
      acc8 = _mm256_fmadd_ps(acc8, a, b);
      acc9 = _mm256_fmadd_ps(acc9, a, b);
      acc10 = _mm256_fmadd_ps(acc10, a, b);
      acc11 = _mm256_fmadd_ps(acc11, a, b);
    }
    double t = now_s() - t0;
    double flops = 2.0 * 8 * CHAINS * (double)STEPS * BLOCKS;
    if (flops / t > best)
      best = flops / t;
  } while (now_s() - start_all < min_seconds);
  __m256 total = _mm256_set1_ps(0.0f);
  total = _mm256_add_ps(total, acc0);
  total = _mm256_add_ps(total, acc1);
  total = _mm256_add_ps(total, acc2);
  total = _mm256_add_ps(total, acc3);
  total = _mm256_add_ps(total, acc4);
  total = _mm256_add_ps(total, acc5);
  total = _mm256_add_ps(total, acc6);
  total = _mm256_add_ps(total, acc7);
  total = _mm256_add_ps(total, acc8);
  total = _mm256_add_ps(total, acc9);
  total = _mm256_add_ps(total, acc10);
  total = _mm256_add_ps(total, acc11);
  float lanes[8];
  _mm256_storeu_ps(lanes, total);
  sink = lanes[0];
  return best / 1e9;
}
#endif

#if defined(__AVX512F__)
static double peak_avx512(double min_seconds) {
  const __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(0.001f);
  __m512 acc0 = _mm512_set1_ps(0.0f);
  __m512 acc1 = _mm512_set1_ps(1.0f);
  __m512 acc2 = _mm512_set1_ps(2.0f);
  __m512 acc3 = _mm512_set1_ps(3.0f);
  __m512 acc4 = _mm512_set1_ps(4.0f);
  __m512 acc5 = _mm512_set1_ps(5.0f);
  __m512 acc6 = _mm512_set1_ps(6.0f);
  __m512 acc7 = _mm512_set1_ps(7.0f);
  __m512 acc8 = _mm512_set1_ps(8.0f);
  __m512 acc9 = _mm512_set1_ps(9.0f);
  __m512 acc10 = _mm512_set1_ps(10.0f);
  __m512 acc11 = _mm512_set1_ps(11.0f);
  double best = 0.0;
  double start_all = now_s();
  do {
    double t0 = now_s();
    for (long step = 0; step < BLOCKS * STEPS; ++step) {
      acc0 = _mm512_fmadd_ps(acc0, a, b);
      acc1 = _mm512_fmadd_ps(acc1, a, b);
      acc2 = _mm512_fmadd_ps(acc2, a, b);
      acc3 = _mm512_fmadd_ps(acc3, a, b);
      acc4 = _mm512_fmadd_ps(acc4, a, b);
      acc5 = _mm512_fmadd_ps(acc5, a, b);
      acc6 = _mm512_fmadd_ps(acc6, a, b);
      acc7 = _mm512_fmadd_ps(acc7, a, b);
      acc8 = _mm512_fmadd_ps(acc8, a, b);
      acc9 = _mm512_fmadd_ps(acc9, a, b);
      acc10 = _mm512_fmadd_ps(acc10, a, b);
      acc11 = _mm512_fmadd_ps(acc11, a, b);
    }
    double t = now_s() - t0;
    double flops = 2.0 * 16 * CHAINS * (double)STEPS * BLOCKS;
    if (flops / t > best)
      best = flops / t;
  } while (now_s() - start_all < min_seconds);
  __m512 total = _mm512_set1_ps(0.0f);
  total = _mm512_add_ps(total, acc0);
  total = _mm512_add_ps(total, acc1);
  total = _mm512_add_ps(total, acc2);
  total = _mm512_add_ps(total, acc3);
  total = _mm512_add_ps(total, acc4);
  total = _mm512_add_ps(total, acc5);
  total = _mm512_add_ps(total, acc6);
  total = _mm512_add_ps(total, acc7);
  total = _mm512_add_ps(total, acc8);
  total = _mm512_add_ps(total, acc9);
  total = _mm512_add_ps(total, acc10);
  total = _mm512_add_ps(total, acc11);
  float lanes[16];
  _mm512_storeu_ps(lanes, total);
  sink = lanes[0];
  return best / 1e9;
}
#endif

int main(int argc, char **argv) {
  double seconds = 1.0;
  if (argc > 1 && sscanf(argv[1], "%lf", &seconds) != 1) {
    fprintf(stderr, "usage: %s [SECONDS_PER_KERNEL]\n", argv[0]);
    return 2;
  }
  double peak = 0.0;
  const char *isa = "none";
#if defined(__AVX2__) && defined(__FMA__)
  {
    double g = peak_avx2(seconds);
    printf("gflops_avx2: %.2f\n", g);
    if (g > peak)
      peak = g;
    isa = "avx2";
  }
#endif
#if defined(__AVX512F__)
  {
    double g = peak_avx512(seconds);
    printf("gflops_avx512: %.2f\n", g);
    if (g > peak)
      peak = g;
    isa = "avx512";
  }
#endif
  if (peak == 0.0) {
    fprintf(stderr, "fma_peak: built without AVX2+FMA or AVX-512 "
                    "(compile with -march=native on an x86-64 host)\n");
    return 1;
  }
  printf("isa: %s\npeak_gflops: %.2f\n", isa, peak);
  return 0;
}
