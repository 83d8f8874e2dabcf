func.func @f32_scalar(%x: f32) -> f32 {
  %y = math.erf %x : f32
  return %y : f32
}

func.func @f32_vector(%x: vector<16xf32>) -> vector<16xf32> {
  %y = math.erf %x : vector<16xf32>
  return %y : vector<16xf32>
}

func.func @f64_kept(%x: f64) -> f64 {
  %y = math.erf %x : f64
  return %y : f64
}

func.func @exp_f32_vector(%x: vector<16xf32>) -> vector<16xf32> {
  %y = math.exp %x : vector<16xf32>
  return %y : vector<16xf32>
}

func.func @exp_f64_kept(%x: f64) -> f64 {
  %y = math.exp %x : f64
  return %y : f64
}

func.func @log_kept(%x: f32) -> f32 {
  %y = math.log %x : f32
  return %y : f32
}
