/* Activations to 8 bits for the int8-dot MUL_MAT kernels (mul_mat.cl, GL_Q8ACT): per block of
 * 32 values d = amax / 127, q = round(x / d) clamped to [-127, 127], ties away from zero,
 * the CPU's q8_0 rule (engine/quants.c), so both quantize the same. */

/* a: n columns of `units` * 32 floats, a_stride floats apart. Column c's quants go to
 * q_buf + q_off + c * units * 32, its fp16 scales to half index c * units of q_buf + q_off +
 * s_off. Item (u, c) does block u of column c. */
kernel void quantize_q8_0(global const uchar *a_buf, ulong a_off, global uchar *q_buf, ulong q_off,
                          ulong s_off, uint units, uint n, ulong a_stride) {
    const uint u = get_global_id(0), c = get_global_id(1);
    if (u >= units || c >= n) return;
    global const float *x = (global const float *)(a_buf + a_off) + c * a_stride + u * 32u;
    const float16 x0 = vload16(0, x), x1 = vload16(1, x);
    const float16 m16 = fmax(fabs(x0), fabs(x1));
    const float8 m8 = fmax(m16.lo, m16.hi);
    const float4 m4 = fmax(m8.lo, m8.hi);
    const float2 m2 = fmax(m4.lo, m4.hi);
    const float d = fmax(m2.x, m2.y) / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    /* nan -> 0, as on the CPU */
    const float16 r0 = clamp(round(x0 * id), -127.0f, 127.0f);
    const float16 r1 = clamp(round(x1 * id), -127.0f, 127.0f);
    const char16 q0 = select(convert_char16(r0), (char16)(0), convert_char16(isnan(r0)));
    const char16 q1 = select(convert_char16(r1), (char16)(0), convert_char16(isnan(r1)));
    global char *q = (global char *)(q_buf + q_off) + ((ulong)c * units + u) * 32u;
    vstore16(q0, 0, q);
    vstore16(q1, 1, q);
    vstore_half(d, (ulong)c * units + u, (global half *)(q_buf + q_off + s_off));
}
