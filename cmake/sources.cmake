# Library sources, by directory; SIMD files get their instruction-set flags from their suffix
# so one binary runs on any CPU of its architecture (the choice is made at run time).
file(GLOB GLINT_SOURCES CONFIGURE_DEPENDS
  engine/*.c engine/arch/*.c engine/tokenizer/*.c backends/*.c backends/cpu/*.c)

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64|amd64")
  file(GLOB GLINT_X86_AVX2 CONFIGURE_DEPENDS backends/cpu/x86/*_avx2.c)
  file(GLOB GLINT_X86_AVX512 CONFIGURE_DEPENDS backends/cpu/x86/*_avx512.c)
  set_source_files_properties(${GLINT_X86_AVX2} PROPERTIES
    COMPILE_OPTIONS "-mavx2;-mfma;-mf16c")
  set_source_files_properties(${GLINT_X86_AVX512} PROPERTIES
    COMPILE_OPTIONS "-mavx512f;-mavx512bw;-mavx512vl;-mavx512dq;-mavx512vnni;-mavx2;-mfma;-mf16c")
  list(APPEND GLINT_SOURCES ${GLINT_X86_AVX2} ${GLINT_X86_AVX512})
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64|ARM64")
  file(GLOB GLINT_ARM_NEON CONFIGURE_DEPENDS backends/cpu/arm/*_neon.c)
  file(GLOB GLINT_ARM_DOTPROD CONFIGURE_DEPENDS backends/cpu/arm/*_dotprod.c)
  file(GLOB GLINT_ARM_I8MM CONFIGURE_DEPENDS backends/cpu/arm/*_i8mm.c)
  set_source_files_properties(${GLINT_ARM_DOTPROD} PROPERTIES
    COMPILE_OPTIONS "-march=armv8.2-a+dotprod+fp16")
  set_source_files_properties(${GLINT_ARM_I8MM} PROPERTIES
    COMPILE_OPTIONS "-march=armv8.2-a+dotprod+i8mm+fp16")
  list(APPEND GLINT_SOURCES ${GLINT_ARM_NEON} ${GLINT_ARM_DOTPROD} ${GLINT_ARM_I8MM})
endif()
