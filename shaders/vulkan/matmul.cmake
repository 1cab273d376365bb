# MUL_MAT shaders (backends/vulkan/ops/mul_mat.c): per weight type a matrix-vector variant with
# shared-memory reduction, one with subgroup reduction, and a tiled variant for n > 8.
foreach(t f32 f16 bf16 q4_0 q4_1 q5_0 q5_1 q8_0 q4_k q5_k q6_k)
  string(TOUPPER ${t} up)
  glint_vk_shader(mul_mat_vec_${t} mul_mat_vec.comp DEFINES TYPE_${up}=1 USE_SUBGROUP=0)
  glint_vk_shader(mul_mat_vec_${t}_sg mul_mat_vec.comp DEFINES TYPE_${up}=1 USE_SUBGROUP=1)
  glint_vk_shader(mul_mat_${t} mul_mat.comp DEFINES TYPE_${up}=1)
endforeach()
