// Shared by the vkops shaders: workgroup size, flat dispatch indexing, f16 reads from packed
// words, byte reads from uint buffers, and workgroup reductions (subgroup ops only in the
// variants built with USE_SUBGROUP, which the host picks only on the subgroup tier).
#ifndef VKOPS_COMMON_GLSL
#define VKOPS_COMMON_GLSL

#define WG 64
#define NEG_INF uintBitsToFloat(0xff800000u)

// Dispatches larger than 65535 workgroups are spread over y; the host uses gl_vkops_grid().
uint flat_group() {
    return gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
}
uint flat_invocation() {
    return flat_group() * WG + gl_LocalInvocationID.x;
}

// Row-wise grids: x counts blocks of WG * ROW_STEP values along a row, rows are spread over
// y and z (the host uses gl_vkops_grid_rows()). The row of this workgroup:
uint grid_row() {
    return gl_WorkGroupID.z * gl_NumWorkGroups.y + gl_WorkGroupID.y;
}
#define ROW_STEP 4

// Half i of an array of packed halves (no 16-bit storage needed).
#define HALF_AT(arr, i) unpackHalf2x16((arr)[(i) >> 1] >> (((i) & 1u) * 16u)).x

// Byte o (as 0..255) and the little-endian half at byte o (o even) of a uint array.
#define BYTE_AT(arr, o) (((arr)[(o) >> 2] >> (((o) & 3u) * 8u)) & 0xffu)
#define HALF_BYTES_AT(arr, o) unpackHalf2x16((arr)[(o) >> 2] >> (((o) & 2u) * 8u)).x

#ifdef VKOPS_REDUCE
shared float red_f[WG];

float wg_sum(float v) {
#ifdef USE_SUBGROUP
    v = subgroupAdd(v);
    if (subgroupElect()) red_f[gl_SubgroupID] = v;
    barrier();
    float s = 0.0;
    for (uint i = 0; i < gl_NumSubgroups; i++) s += red_f[i];
    barrier();
    return s;
#else
    const uint l = gl_LocalInvocationID.x;
    red_f[l] = v;
    barrier();
    for (uint s = WG / 2; s > 0; s >>= 1) {
        if (l < s) red_f[l] += red_f[l + s];
        barrier();
    }
    const float r = red_f[0];
    barrier();
    return r;
#endif
}

float wg_max(float v) {
#ifdef USE_SUBGROUP
    v = subgroupMax(v);
    if (subgroupElect()) red_f[gl_SubgroupID] = v;
    barrier();
    float s = red_f[0];
    for (uint i = 1; i < gl_NumSubgroups; i++) s = max(s, red_f[i]);
    barrier();
    return s;
#else
    const uint l = gl_LocalInvocationID.x;
    red_f[l] = v;
    barrier();
    for (uint s = WG / 2; s > 0; s >>= 1) {
        if (l < s) red_f[l] = max(red_f[l], red_f[l + s]);
        barrier();
    }
    const float r = red_f[0];
    barrier();
    return r;
#endif
}
#endif

#endif
