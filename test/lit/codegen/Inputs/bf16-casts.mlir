func.func @casts(%a: f32, %b: vector<4xbf16>) -> (bf16, vector<4xf32>) {
  %t = arith.truncf %a : f32 to bf16
  %e = arith.extf %b : vector<4xbf16> to vector<4xf32>
  return %t, %e : bf16, vector<4xf32>
}
