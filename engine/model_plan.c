/* Choosing where a model runs at load: the backends it may use, then a plan for prefill and
 * one for decode, from (in order) a plan file, --gpu-layers, the plan cache, profiling, or the
 * static heuristic; then the weights are placed for those plans. */
#include "model.h"
#include "profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gl_model_plan_key(const glint_model *m, gl_plan_key *key) {
    memset(key, 0, sizeof *key);
    key->model_size = gl_gguf_file_size(m->gguf);
    key->model_hash = gl_plan_hash64(gl_gguf_base(m->gguf), gl_gguf_data_offset(m->gguf),
                                     GL_PLAN_HASH_SEED);
    key->n_backend = m->n_backend;
    for (int b = 0; b < m->n_backend; b++) {
        gl_backend *be = m->backends[b];
        if (be->iface->identity) {
            be->iface->identity(be, key->device[b], GL_PLAN_DEVICE_MAX);
        } else {
            snprintf(key->device[b], GL_PLAN_DEVICE_MAX, "%s", be->iface->name(be));
        }
    }
}

static const char *backend_name(const glint_model *m, int b) {
    return m->backends[b]->iface->name(m->backends[b]);
}

glint_status gl_model_apply_plans(glint_model *m, gl_err *err) {
    bool need[GL_PLAN_MAX_BACKENDS][GL_STAGE_MAX];
    memset(need, 0, sizeof need);
    const int n_stage = m->hp.n_layer + 2;
    bool used[GL_PLAN_MAX_BACKENDS] = {false};
    for (int ph = 0; ph < GL_PLAN_PHASE_COUNT; ph++)
        for (int s = 0; s < n_stage; s++) {
            const int b = gl_plan_stage_backend(&m->plan[ph], s);
            need[b][s] = used[b] = true;
        }
    glint_status st = gl_model_place(m, need, err);
    if (st) return st;
    /* "vulkan+cpu": the GPU first, as users think of it */
    m->backend_desc[0] = 0;
    for (int k = 0; k < m->n_backend; k++) {
        const int b = (k + 1) % m->n_backend; /* 1, 2, ..., 0 */
        if (!used[b]) continue;
        const size_t len = strlen(m->backend_desc);
        snprintf(m->backend_desc + len, sizeof m->backend_desc - len, "%s%s", len ? "+" : "",
                 backend_name(m, b));
    }
    const char *names[GL_PLAN_MAX_BACKENDS];
    for (int b = 0; b < m->n_backend; b++) names[b] = backend_name(m, b);
    char pre[240], dec[240];
    gl_plan_describe(&m->plan[GL_PLAN_PHASE_PREFILL], names, pre, sizeof pre);
    gl_plan_describe(&m->plan[GL_PLAN_PHASE_DECODE], names, dec, sizeof dec);
    snprintf(m->plan_desc, sizeof m->plan_desc, "prefill: %s; decode: %s", pre, dec);
    return GLINT_OK;
}

static bool plan_fits(const glint_model *m, const gl_plan *p) {
    if (p->n_layer != m->hp.n_layer) return false;
    for (int s = 0; s < m->hp.n_layer + 2; s++)
        if (gl_plan_stage_backend(p, s) >= m->n_backend) return false;
    return true;
}

static glint_status plans_from_file(glint_model *m, const char *path, gl_err *err) {
    gl_plan_record *r = malloc(sizeof *r);
    if (!r) return gl_fail(err, GLINT_ERROR_OUT_OF_MEMORY, "out of memory");
    glint_status st = gl_plan_file_read(path, r, err);
    if (st == GLINT_OK) {
        for (int ph = 0; ph < GL_PLAN_PHASE_COUNT && st == GLINT_OK; ph++)
            if (!plan_fits(m, &r->plan[ph]))
                st = gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT,
                             "plan %s is for %d layers on %d backends; this model has %d layers "
                             "and %d backends here", path, r->plan[ph].n_layer,
                             r->plan[ph].n_backend, m->hp.n_layer, m->n_backend);
        if (st == GLINT_OK) {
            gl_plan_key key;
            gl_model_plan_key(m, &key);
            if (key.model_hash != r->key.model_hash)
                GL_LOGW("plan %s was made for another model file; following it anyway", path);
            memcpy(m->plan, r->plan, sizeof m->plan);
        }
    }
    free(r);
    return st;
}

/* Profiles with weights everywhere, keeps the plans, caches them. */
static glint_status plans_from_profile(glint_model *m, const glint_model_params *p,
                                       gl_err *err) {
    bool need[GL_PLAN_MAX_BACKENDS][GL_STAGE_MAX];
    memset(need, 1, sizeof need);
    glint_status st = gl_model_place(m, need, err);
    if (st) return st;
    if (!m->profile && !(m->profile = malloc(sizeof *m->profile)))
        return gl_fail(err, GLINT_ERROR_OUT_OF_MEMORY, "out of memory");
    gl_profile_opts o = gl_profile_default_opts();
    o.progress = p->progress;
    o.progress_user = p->progress_user;
    if ((st = gl_profile_run(m, &o, m->profile, err))) return st;
    memcpy(m->plan, m->profile->plan, sizeof m->plan);

    gl_plan_record *r = calloc(1, sizeof *r);
    if (!r) return gl_fail(err, GLINT_ERROR_OUT_OF_MEMORY, "out of memory");
    gl_model_plan_key(m, &r->key);
    memcpy(r->plan, m->plan, sizeof r->plan);
    r->has_costs = true;
    memcpy(r->costs, m->profile->costs, sizeof r->costs);
    gl_err cerr = {{0}};
    if (gl_plan_cache_save(NULL, r, &cerr)) GL_LOGW("plan not cached: %s", cerr.msg);
    free(r);
    return GLINT_OK;
}

glint_status gl_model_setup(glint_model *m, const glint_model_params *p, gl_err *err) {
    glint_runtime *rt = m->rt;
    m->backends[0] = rt->cpu;
    m->n_backend = 1;
    /* AUTO may use every GPU backend there is; a named one only itself */
    const bool auto_ = p->backend == GLINT_BACKEND_AUTO;
    if (auto_ || p->backend == GLINT_BACKEND_VULKAN) {
        gl_backend *vk = gl_runtime_vulkan(rt);
        if (vk) {
            m->backends[m->n_backend++] = vk;
        } else if (!auto_) {
            GL_LOGW("vulkan unavailable (%s); running on the CPU", rt->vulkan_error);
        } else {
            GL_LOGI("no vulkan device (%s)", rt->vulkan_error);
        }
    }
    if (auto_ || p->backend == GLINT_BACKEND_OPENCL) {
        gl_backend *cl = gl_runtime_opencl(rt);
        if (cl) {
            m->backends[m->n_backend++] = cl;
        } else if (!auto_) {
            GL_LOGW("opencl unavailable (%s); running on the CPU", rt->opencl_error);
        } else {
            GL_LOGI("no opencl device (%s)", rt->opencl_error);
        }
    }
    const int n_layer = m->hp.n_layer, gpu = m->n_backend > 1 ? 1 : -1;
    glint_status st = GLINT_OK;
    const char *source = m->n_backend > 1 ? "static" : "cpu only";
    for (int ph = 0; ph < GL_PLAN_PHASE_COUNT && !st; ph++)
        st = gl_plan_static(n_layer, m->n_backend, gpu, 0, &m->plan[ph], err);
    if (st) return st;

    if (p->plan_path) {
        if ((st = plans_from_file(m, p->plan_path, err))) return st;
        source = "plan file";
    } else if (p->gpu_layers >= 0 && gpu > 0) {
        for (int ph = 0; ph < GL_PLAN_PHASE_COUNT && !st; ph++)
            st = gl_plan_from_gpu_layers(n_layer, m->n_backend, p->gpu_layers, gpu, 0,
                                         &m->plan[ph], err);
        if (st) return st;
        source = "gpu layers";
    } else if (p->backend == GLINT_BACKEND_AUTO && (m->n_backend > 1 || p->reprofile)) {
        bool hit = false;
        gl_plan_record *r = NULL;
        if (!p->reprofile) {
            r = malloc(sizeof *r);
            gl_plan_key key;
            gl_model_plan_key(m, &key);
            if (r && gl_plan_cache_load(NULL, &key, r, &hit, err) == GLINT_OK && hit) {
                for (int ph = 0; ph < GL_PLAN_PHASE_COUNT; ph++) hit = hit && plan_fits(m, &r->plan[ph]);
                if (hit) memcpy(m->plan, r->plan, sizeof m->plan);
                if (hit) source = "cached";
            }
            free(r);
        }
        if (!hit && !p->no_profile) {
            source = "profiled";
            if ((st = plans_from_profile(m, p, err))) {
                /* the GPU may not hold the model twice, or may fail: the static plan then */
                GL_LOGW("profiling failed (%s); using the static plan", err->msg);
                source = "static after a failed profile";
                for (int ph = 0; ph < GL_PLAN_PHASE_COUNT; ph++)
                    gl_plan_static(n_layer, m->n_backend, gpu, 0, &m->plan[ph], NULL);
            }
        }
    }
    if ((st = gl_model_apply_plans(m, err)) && m->n_backend > 1 &&
        p->backend == GLINT_BACKEND_AUTO) {
        /* out of GPU memory, a lost device: the CPU still runs the model */
        GL_LOGW("cannot place the model on the GPU (%s); running on the CPU", err->msg);
        source = "cpu after a failed placement";
        for (int ph = 0; ph < GL_PLAN_PHASE_COUNT; ph++)
            gl_plan_uniform(n_layer, m->n_backend, 0, &m->plan[ph], NULL);
        st = gl_model_apply_plans(m, err);
    }
    if (st) return st;
    GL_LOGI("placement (%s): %s", source, m->plan_desc);
    return GLINT_OK;
}
