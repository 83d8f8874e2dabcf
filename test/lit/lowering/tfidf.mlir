// RUN: onnxc-opt %s --convert-onnx-to-linalg --split-input-file -verify-diagnostics | FileCheck %s

// Batched bigrams with skips: per-pool-entry counts over (row, entry, skip,
// start) with the later tokens read by tensor.extract, then each output sums
// the counts of its entries (scf.for over a compile-time CSR table).
// CHECK-LABEL: func.func @tfidf_tf_batch
// CHECK: arith.constant dense<[1, 2, 3, 4, 5, 6]> : tensor<6xi64>
// CHECK: arith.constant dense<[5, 7, 6]> : tensor<3xi64>
// CHECK: arith.constant dense<[6, 8, 7]> : tensor<3xi64>
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction", "reduction"]
// CHECK: arith.extsi
// CHECK: tensor.extract
// CHECK: arith.extui
// CHECK: arith.constant dense<[0, 0, 0, 0, 0, 1, 2, 3]> : tensor<8xindex>
// CHECK: linalg.generic
// CHECK: scf.for
// CHECK: arith.sitofp
// CHECK-NOT: arith.mulf
// CHECK: return {{.*}} : tensor<2x7xf32>
func.func @tfidf_tf_batch(%x: tensor<2x6xi32>) -> tensor<2x7xf32> {
  %0 = "onnx.TfIdfVectorizer"(%x) {max_gram_length = 2 : i64, max_skip_count = 5 : i64, min_gram_length = 2 : i64, mode = "TF", ngram_counts = [0, 4], ngram_indexes = [0, 1, 2, 3, 4, 5, 6], pool_int64s = [2, 3, 5, 4, 5, 6, 7, 8, 6, 7]} : (tensor<2x6xi32>) -> tensor<2x7xf32>
  return %0 : tensor<2x7xf32>
}

// -----

// 1-D int64 input, IDF with weights: weight where the count is positive;
// unigrams and bigrams both loaded, no widening of int64 tokens.
// CHECK-LABEL: func.func @tfidf_idf_1d
// CHECK: tensor.expand_shape
// CHECK: linalg.generic
// CHECK-NOT: arith.extsi
// CHECK: tensor.extract
// CHECK: linalg.generic
// CHECK: scf.for
// CHECK: arith.cmpi sgt
// CHECK: arith.select
// CHECK: tensor.collapse_shape
// CHECK: return {{.*}} : tensor<3xf32>
func.func @tfidf_idf_1d(%x: tensor<5xi64>) -> tensor<3xf32> {
  %0 = "onnx.TfIdfVectorizer"(%x) {max_gram_length = 2 : i64, max_skip_count = 1 : i64, min_gram_length = 1 : i64, mode = "IDF", ngram_counts = [0, 2], ngram_indexes = [2, 0, 1], pool_int64s = [4, 9, 4, 9], weights = [0.5 : f32, 2.0 : f32, 3.0 : f32]} : (tensor<5xi64>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// TFIDF scales the counts; dynamic batch and length are kept.
// CHECK-LABEL: func.func @tfidf_tfidf_dynamic
// CHECK: tensor.dim
// CHECK: linalg.generic
// CHECK: linalg.generic
// CHECK: arith.sitofp
// CHECK: arith.mulf
// CHECK: return {{.*}} : tensor<?x2xf32>
func.func @tfidf_tfidf_dynamic(%x: tensor<?x?xi32>) -> tensor<?x2xf32> {
  %0 = "onnx.TfIdfVectorizer"(%x) {max_gram_length = 3 : i64, max_skip_count = 0 : i64, min_gram_length = 3 : i64, mode = "TFIDF", ngram_counts = [0, 1, 1], ngram_indexes = [0, 1], pool_int64s = [7, 1, 2, 3], weights = [0.5 : f32, 2.0 : f32]} : (tensor<?x?xi32>) -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

// String pools are not lowered.
func.func @tfidf_strings(%x: tensor<4x!onnx.string>) -> tensor<2xf32> {
  // expected-error @+1 {{failed to legalize operation 'onnx.TfIdfVectorizer'}}
  %0 = "onnx.TfIdfVectorizer"(%x) {max_gram_length = 1 : i64, max_skip_count = 0 : i64, min_gram_length = 1 : i64, mode = "TF", ngram_counts = [0], ngram_indexes = [0, 1], pool_strings = ["a", "b"]} : (tensor<4x!onnx.string>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// A pool holding the same n-gram twice is refused (onnxruntime rejects it).
func.func @tfidf_duplicate(%x: tensor<4xi64>) -> tensor<2xf32> {
  // expected-error @+1 {{failed to legalize operation 'onnx.TfIdfVectorizer'}}
  %0 = "onnx.TfIdfVectorizer"(%x) {max_gram_length = 1 : i64, max_skip_count = 0 : i64, min_gram_length = 1 : i64, mode = "TF", ngram_counts = [0], ngram_indexes = [0, 1], pool_int64s = [3, 3]} : (tensor<4xi64>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
