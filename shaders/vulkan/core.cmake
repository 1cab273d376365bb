# Shaders the core (recorder, memory) tests use.
glint_vk_shader(test_fill test_fill.comp)
