# vkops shaders: everything but MUL_MAT. Variants that need a device feature (subgroup
# arithmetic, 16-bit storage) are separate shaders, so a module never declares a capability
# the device lacks; the op files pick them by the enabled tiers.
glint_vk_shader(vk_get_rows get_rows.comp)
glint_vk_shader(vk_rms_norm rms_norm.comp)
glint_vk_shader(vk_rms_norm_sg rms_norm.comp DEFINES USE_SUBGROUP=1)
glint_vk_shader(vk_softmax softmax.comp)
glint_vk_shader(vk_softmax_sg softmax.comp DEFINES USE_SUBGROUP=1)
glint_vk_shader(vk_argmax argmax.comp)
glint_vk_shader(vk_argmax_sg argmax.comp DEFINES USE_SUBGROUP=1)
glint_vk_shader(vk_binary binary.comp)
glint_vk_shader(vk_rope rope.comp)
glint_vk_shader(vk_cpy_f32 cpy.comp)
glint_vk_shader(vk_cpy_f16 cpy.comp DEFINES DST_F16=1)
glint_vk_shader(vk_cpy_f16_s16 cpy.comp DEFINES DST_F16=1 STORAGE16=1)
glint_vk_shader(vk_attn_f32 attention.comp)
glint_vk_shader(vk_attn_f16 attention.comp DEFINES KV_F16=1)
glint_vk_shader(vk_attn_f16_s16 attention.comp DEFINES KV_F16=1 STORAGE16=1)
