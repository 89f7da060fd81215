/*
 * vk_gbuffer: a headless Vulkan program shaped like a tiny deferred renderer,
 * made to be captured by RenderDoc (one frame, delimited by the in-app API).
 *
 *   render pass 1 "G-buffer": 4 colour targets + D32_SFLOAT_S8_UINT (or the
 *                 depth format given with -DVK_GBUFFER_DEPTH_FORMAT=...), 3 quads at
 *                 known depths, each writing a known stencil reference (REPLACE);
 *   render pass 2 "lighting": one fullscreen triangle sampling the 4 G-buffer
 *                 targets into a B8G8R8A8_UNORM "back buffer";
 *   render pass 3 "HUD":      one alpha-blended quad on top of the back buffer.
 *
 * No window, no swapchain. Resources are named with VK_EXT_debug_utils when the
 * instance offers it (RenderDoc's layer does), but no debug markers are set:
 * like a game, the action list is flat.
 *
 * Build:  gcc -std=c11 -O1 -o vk_gbuffer vk_gbuffer.c -lvulkan -ldl -lm
 *         (headers from Debian's libvulkan-dev)
 * Run:    renderdoccmd capture -w -d DIR -c TEMPLATE ./vk_gbuffer [TEMPLATE]
 * Outside RenderDoc it renders the frame and exits 0 without a capture.
 *
 * Known values: `./vk_gbuffer --describe` prints them as JSON from the tables
 * below; samples/tiny/vk_gbuffer_expected.json is that output (a test checks
 * they agree). See also docs/tiny_captures.md.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vulkan/vulkan.h>

#include "vk_gbuffer_spirv.h"

#define WIDTH 64
#define HEIGHT 48

/* The shipped capture uses D32_SFLOAT_S8_UINT; other depth formats can be built
 * in (-DVK_GBUFFER_DEPTH_FORMAT=VK_FORMAT_D24_UNORM_S8_UINT) to study how
 * RenderDoc returns them (docs/tiny_captures.md). */
#ifndef VK_GBUFFER_DEPTH_FORMAT
#define VK_GBUFFER_DEPTH_FORMAT VK_FORMAT_D32_SFLOAT_S8_UINT
#endif
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
/* "D32_SFLOAT_S8_UINT": the macro's spelling without its "VK_FORMAT_" prefix. */
#define DEPTH_FORMAT_NAME (STRINGIFY(VK_GBUFFER_DEPTH_FORMAT) + 10)

static VkImageAspectFlags depth_aspects(VkFormat format)
{
    switch (format) {
    case VK_FORMAT_D16_UNORM:
    case VK_FORMAT_X8_D24_UNORM_PACK32:
    case VK_FORMAT_D32_SFLOAT:
        return VK_IMAGE_ASPECT_DEPTH_BIT;
    default:
        return VK_IMAGE_ASPECT_DEPTH_BIT | VK_IMAGE_ASPECT_STENCIL_BIT;
    }
}

/* ---- RenderDoc in-app API: the part of RENDERDOC_API_1_4_1 we call ---- */

typedef int (*pRENDERDOC_GetAPI)(int version, void **out_api_pointers);
typedef void (*pSetCaptureFilePathTemplate)(const char *path_template);
typedef uint32_t (*pGetNumCaptures)(void);
typedef uint32_t (*pGetCapture)(uint32_t idx, char *filename, uint32_t *path_length, uint64_t *timestamp);
typedef void (*pStartFrameCapture)(void *device, void *window);
typedef uint32_t (*pEndFrameCapture)(void *device, void *window);

/* Indices in the function table, in renderdoc_app.h's declaration order. */
enum {
    RD_SET_CAPTURE_FILE_PATH_TEMPLATE = 11,
    RD_GET_NUM_CAPTURES = 13,
    RD_GET_CAPTURE = 14,
    RD_START_FRAME_CAPTURE = 19,
    RD_END_FRAME_CAPTURE = 21,
    RD_TABLE_SIZE = 25,
};

static void **renderdoc_api(void)
{
    void *lib = dlopen("librenderdoc.so", RTLD_NOW | RTLD_NOLOAD);
    if (!lib)
        return NULL;
    pRENDERDOC_GetAPI get_api = (pRENDERDOC_GetAPI)dlsym(lib, "RENDERDOC_GetAPI");
    void **table = NULL;
    if (!get_api || get_api(10401 /* 1.4.1 */, (void **)&table) != 1)
        return NULL;
    return table;
}

/* ---- Vulkan helpers ---- */

#define CHECK(call)                                                                  \
    do {                                                                             \
        VkResult check_result_ = (call);                                             \
        if (check_result_ != VK_SUCCESS) {                                           \
            fprintf(stderr, "vk_gbuffer: %s failed: VkResult %d (line %d)\n", #call, \
                    (int)check_result_, __LINE__);                                  \
            exit(2);                                                                 \
        }                                                                            \
    } while (0)

static VkInstance instance;
static VkPhysicalDevice physical;
static VkDevice device;
static PFN_vkSetDebugUtilsObjectNameEXT set_object_name;

static void name_object(VkObjectType type, uint64_t handle, const char *name)
{
    if (!set_object_name)
        return;
    VkDebugUtilsObjectNameInfoEXT info = {
        .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_OBJECT_NAME_INFO_EXT,
        .objectType = type,
        .objectHandle = handle,
        .pObjectName = name,
    };
    set_object_name(device, &info);
}

static uint32_t memory_type(uint32_t allowed_bits, VkMemoryPropertyFlags wanted)
{
    VkPhysicalDeviceMemoryProperties props;
    vkGetPhysicalDeviceMemoryProperties(physical, &props);
    for (uint32_t i = 0; i < props.memoryTypeCount; i++)
        if ((allowed_bits & (1u << i)) && (props.memoryTypes[i].propertyFlags & wanted) == wanted)
            return i;
    fprintf(stderr, "vk_gbuffer: no memory type with flags 0x%x\n", (unsigned)wanted);
    exit(2);
}

typedef struct {
    VkImage image;
    VkDeviceMemory memory;
    VkImageView view;
} Target;

static Target make_target(VkFormat format, VkImageUsageFlags usage, VkImageAspectFlags aspect, const char *name)
{
    Target t;
    VkImageCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
        .imageType = VK_IMAGE_TYPE_2D,
        .format = format,
        .extent = {WIDTH, HEIGHT, 1},
        .mipLevels = 1,
        .arrayLayers = 1,
        .samples = VK_SAMPLE_COUNT_1_BIT,
        .tiling = VK_IMAGE_TILING_OPTIMAL,
        .usage = usage,
        .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
        .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
    };
    CHECK(vkCreateImage(device, &info, NULL, &t.image));
    VkMemoryRequirements req;
    vkGetImageMemoryRequirements(device, t.image, &req);
    VkMemoryAllocateInfo alloc = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        .allocationSize = req.size,
        .memoryTypeIndex = memory_type(req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT),
    };
    CHECK(vkAllocateMemory(device, &alloc, NULL, &t.memory));
    CHECK(vkBindImageMemory(device, t.image, t.memory, 0));
    VkImageViewCreateInfo view = {
        .sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
        .image = t.image,
        .viewType = VK_IMAGE_VIEW_TYPE_2D,
        .format = format,
        .subresourceRange = {aspect, 0, 1, 0, 1},
    };
    CHECK(vkCreateImageView(device, &view, NULL, &t.view));
    name_object(VK_OBJECT_TYPE_IMAGE, (uint64_t)t.image, name);
    return t;
}

static VkShaderModule shader(const uint32_t *words, size_t size)
{
    VkShaderModuleCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
        .codeSize = size,
        .pCode = words,
    };
    VkShaderModule module;
    CHECK(vkCreateShaderModule(device, &info, NULL, &module));
    return module;
}

/* Push constants shared by quad.vert, gbuffer.frag and hud.frag (std430 offsets). */
typedef struct {
    float rect[4];     /* NDC x0, y0, x1, y1 (Vulkan: y = -1 is the top row) */
    float albedo[4];
    float normal[4];
    float material[4];
    float emissive[4];
    float depth;
    float pad[3];
} Push;

/* A G-buffer quad in pixels, top-down (row 0 = top), x1/y1 exclusive. */
typedef struct {
    int x0, y0, x1, y1;
    float depth;
    uint32_t stencil;
    uint8_t albedo_srgb8[4];     /* bytes expected in the R8G8B8A8_SRGB target */
    uint16_t normal_unorm10[4];  /* A2B10G10R10: r, g, b (10 bits), a (2 bits) */
    uint8_t material_unorm8[4];
    float emissive[4];           /* exact in float16 */
} Quad;

/* Drawn in this order. C lies behind A and B where they overlap, so the depth
 * test rejects it there and the stencil keeps A's / B's reference (pass op
 * REPLACE, depth-fail op KEEP). */
static const Quad QUADS[3] = {
    /* A */ {4, 4, 28, 20, 0.25f, 0x02, {51, 102, 153, 204}, {256, 512, 1023, 3}, {10, 20, 30, 40}, {3.5f, 0.25f, 0.0f, 1.0f}},
    /* B */ {32, 4, 60, 28, 0.5f, 0x04, {200, 100, 50, 255}, {1023, 0, 768, 2}, {128, 64, 32, 255}, {0.0f, 1.5f, 8.0f, 0.5f}},
    /* C */ {16, 16, 48, 44, 0.75f, 0x82, {0, 255, 128, 64}, {100, 900, 300, 1}, {255, 0, 255, 0}, {-2.0f, 0.125f, 64.0f, 0.0f}},
};

static float srgb_to_linear(uint8_t byte)
{
    /* Inverse of the sRGB encode; with the target's own encode the stored byte
     * comes back exactly. */
    float c = byte / 255.0f;
    return c <= 0.04045f ? c / 12.92f : powf((c + 0.055f) / 1.055f, 2.4f);
}

static void quad_rect(int x0, int y0, int x1, int y1, float rect[4])
{
    rect[0] = 2.0f * x0 / WIDTH - 1.0f;
    rect[1] = 2.0f * y0 / HEIGHT - 1.0f;
    rect[2] = 2.0f * x1 / WIDTH - 1.0f;
    rect[3] = 2.0f * y1 / HEIGHT - 1.0f;
}

static Push quad_push(const Quad *q)
{
    Push p;
    memset(&p, 0, sizeof p);
    quad_rect(q->x0, q->y0, q->x1, q->y1, p.rect);
    for (int i = 0; i < 3; i++)
        p.albedo[i] = srgb_to_linear(q->albedo_srgb8[i]);
    p.albedo[3] = q->albedo_srgb8[3] / 255.0f;
    for (int i = 0; i < 3; i++)
        p.normal[i] = q->normal_unorm10[i] / 1023.0f;
    p.normal[3] = q->normal_unorm10[3] / 3.0f;
    for (int i = 0; i < 4; i++) {
        p.material[i] = q->material_unorm8[i] / 255.0f;
        p.emissive[i] = q->emissive[i];
    }
    p.depth = q->depth;
    return p;
}

/* HUD: a half-transparent yellow bar near the bottom-left corner. */
static const int HUD_RECT[4] = {2, 40, 30, 46};
static const float HUD_COLOUR[4] = {1.0f, 1.0f, 0.0f, 0.5f};

/* `vk_gbuffer --describe`: the known values as JSON (written to vk_gbuffer_expected.json). */
static void print_u8x4(const uint8_t v[4]) { printf("[%u, %u, %u, %u]", v[0], v[1], v[2], v[3]); }

static int describe(void)
{
    printf("{\n \"capture\": \"vk_gbuffer.rdc\",\n \"api\": \"Vulkan\",\n \"program\": \"samples/tiny/vk_gbuffer.c\",\n");
    printf(" \"convention\": \"rect = [x0, y0, x1, y1) in pixels, top-down: row 0 is the top of the image\",\n");
    printf(" \"width\": %d,\n \"height\": %d,\n", WIDTH, HEIGHT);
    printf(" \"targets\": {\"gbuffer.albedo\": \"R8G8B8A8_SRGB\", \"gbuffer.normal\": \"A2B10G10R10_UNORM_PACK32\",\n"
           "  \"gbuffer.material\": \"R8G8B8A8_UNORM\", \"gbuffer.emissive\": \"R16G16B16A16_SFLOAT\",\n"
           "  \"gbuffer.depth\": \"%s\", \"backbuffer\": \"B8G8R8A8_UNORM\"},\n", DEPTH_FORMAT_NAME);
    printf(" \"clear\": {\"colour\": [0, 0, 0, 0], \"depth\": 1.0, \"stencil\": 0, \"backbuffer\": [0, 0, 0, 0]},\n");
    printf(" \"depth_test\": \"LESS, write on; stencil ALWAYS, pass REPLACE, depth-fail KEEP\",\n");
    printf(" \"gbuffer_quads\": [\n");
    for (int i = 0; i < 3; i++) {
        const Quad *q = &QUADS[i];
        printf("  {\"name\": \"%c\", \"rect\": [%d, %d, %d, %d], \"depth\": %g, \"stencil\": %u,\n", 'A' + i,
               q->x0, q->y0, q->x1, q->y1, q->depth, q->stencil);
        printf("   \"albedo_srgb8\": ");
        print_u8x4(q->albedo_srgb8);
        printf(", \"normal_unorm10\": [%u, %u, %u, %u], \"material_unorm8\": ", q->normal_unorm10[0],
               q->normal_unorm10[1], q->normal_unorm10[2], q->normal_unorm10[3]);
        print_u8x4(q->material_unorm8);
        printf(",\n   \"emissive\": [%g, %g, %g, %g]}%s\n", q->emissive[0], q->emissive[1], q->emissive[2],
               q->emissive[3], i < 2 ? "," : "");
    }
    printf(" ],\n");
    printf(" \"lighting\": \"backbuffer = (albedo_linear * (0.5 + 0.5 * normal.b) * (1 - material.r) + emissive * 0.25, 1), per texel\",\n");
    printf(" \"hud\": {\"rect\": [%d, %d, %d, %d], \"colour\": [%g, %g, %g, %g], "
           "\"blend\": \"src_alpha, one_minus_src_alpha; alpha kept\"}\n}\n",
           HUD_RECT[0], HUD_RECT[1], HUD_RECT[2], HUD_RECT[3], HUD_COLOUR[0], HUD_COLOUR[1], HUD_COLOUR[2], HUD_COLOUR[3]);
    return 0;
}

typedef struct {
    const uint32_t *vert;
    size_t vert_size;
    const uint32_t *frag;
    size_t frag_size;
    uint32_t colour_count;
    int depth_stencil;
    int blend;
} PipelineDesc;

static VkPipeline make_pipeline(const PipelineDesc *d, VkPipelineLayout layout, VkRenderPass pass)
{
    VkShaderModule vs = shader(d->vert, d->vert_size);
    VkShaderModule fs = shader(d->frag, d->frag_size);
    VkPipelineShaderStageCreateInfo stages[2] = {
        {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO, .stage = VK_SHADER_STAGE_VERTEX_BIT, .module = vs, .pName = "main"},
        {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO, .stage = VK_SHADER_STAGE_FRAGMENT_BIT, .module = fs, .pName = "main"},
    };
    VkPipelineVertexInputStateCreateInfo vertex_input = {.sType = VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO};
    VkPipelineInputAssemblyStateCreateInfo assembly = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO,
        .topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_STRIP,
    };
    VkPipelineViewportStateCreateInfo viewport = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO,
        .viewportCount = 1,
        .scissorCount = 1,
    };
    VkPipelineRasterizationStateCreateInfo raster = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO,
        .polygonMode = VK_POLYGON_MODE_FILL,
        .cullMode = VK_CULL_MODE_NONE,
        .frontFace = VK_FRONT_FACE_COUNTER_CLOCKWISE,
        .lineWidth = 1.0f,
    };
    VkPipelineMultisampleStateCreateInfo multisample = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO,
        .rasterizationSamples = VK_SAMPLE_COUNT_1_BIT,
    };
    VkStencilOpState stencil = {
        .failOp = VK_STENCIL_OP_KEEP,
        .passOp = VK_STENCIL_OP_REPLACE,
        .depthFailOp = VK_STENCIL_OP_KEEP,
        .compareOp = VK_COMPARE_OP_ALWAYS,
        .compareMask = 0xFF,
        .writeMask = 0xFF,
    };
    VkPipelineDepthStencilStateCreateInfo depth = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_DEPTH_STENCIL_STATE_CREATE_INFO,
        .depthTestEnable = VK_TRUE,
        .depthWriteEnable = VK_TRUE,
        .depthCompareOp = VK_COMPARE_OP_LESS,
        .stencilTestEnable = VK_TRUE,
        .front = stencil,
        .back = stencil,
        .maxDepthBounds = 1.0f,
    };
    VkPipelineColorBlendAttachmentState blend_states[4];
    for (uint32_t i = 0; i < 4; i++) {
        VkPipelineColorBlendAttachmentState s = {
            .blendEnable = d->blend ? VK_TRUE : VK_FALSE,
            .srcColorBlendFactor = VK_BLEND_FACTOR_SRC_ALPHA,
            .dstColorBlendFactor = VK_BLEND_FACTOR_ONE_MINUS_SRC_ALPHA,
            .colorBlendOp = VK_BLEND_OP_ADD,
            .srcAlphaBlendFactor = VK_BLEND_FACTOR_ZERO,
            .dstAlphaBlendFactor = VK_BLEND_FACTOR_ONE,
            .alphaBlendOp = VK_BLEND_OP_ADD,
            .colorWriteMask = 0xF,
        };
        blend_states[i] = s;
    }
    VkPipelineColorBlendStateCreateInfo blend = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO,
        .attachmentCount = d->colour_count,
        .pAttachments = blend_states,
    };
    VkDynamicState dynamic_states[3] = {VK_DYNAMIC_STATE_VIEWPORT, VK_DYNAMIC_STATE_SCISSOR, VK_DYNAMIC_STATE_STENCIL_REFERENCE};
    VkPipelineDynamicStateCreateInfo dynamic = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_DYNAMIC_STATE_CREATE_INFO,
        .dynamicStateCount = d->depth_stencil ? 3 : 2,
        .pDynamicStates = dynamic_states,
    };
    VkGraphicsPipelineCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO,
        .stageCount = 2,
        .pStages = stages,
        .pVertexInputState = &vertex_input,
        .pInputAssemblyState = &assembly,
        .pViewportState = &viewport,
        .pRasterizationState = &raster,
        .pMultisampleState = &multisample,
        .pDepthStencilState = d->depth_stencil ? &depth : NULL,
        .pColorBlendState = &blend,
        .pDynamicState = &dynamic,
        .layout = layout,
        .renderPass = pass,
        .subpass = 0,
    };
    VkPipeline pipeline;
    CHECK(vkCreateGraphicsPipelines(device, VK_NULL_HANDLE, 1, &info, NULL, &pipeline));
    vkDestroyShaderModule(device, vs, NULL);
    vkDestroyShaderModule(device, fs, NULL);
    return pipeline;
}

static VkRenderPass make_render_pass(const VkAttachmentDescription *attachments, uint32_t colour_count,
                                     int has_depth, const VkSubpassDependency *dependency)
{
    VkAttachmentReference colour_refs[4];
    for (uint32_t i = 0; i < colour_count; i++) {
        colour_refs[i].attachment = i;
        colour_refs[i].layout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL;
    }
    VkAttachmentReference depth_ref = {colour_count, VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL};
    VkSubpassDescription subpass = {
        .pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS,
        .colorAttachmentCount = colour_count,
        .pColorAttachments = colour_refs,
        .pDepthStencilAttachment = has_depth ? &depth_ref : NULL,
    };
    VkRenderPassCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO,
        .attachmentCount = colour_count + (has_depth ? 1 : 0),
        .pAttachments = attachments,
        .subpassCount = 1,
        .pSubpasses = &subpass,
        .dependencyCount = 1,
        .pDependencies = dependency,
    };
    VkRenderPass pass;
    CHECK(vkCreateRenderPass(device, &info, NULL, &pass));
    return pass;
}

static VkFramebuffer make_framebuffer(VkRenderPass pass, const VkImageView *views, uint32_t count)
{
    VkFramebufferCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO,
        .renderPass = pass,
        .attachmentCount = count,
        .pAttachments = views,
        .width = WIDTH,
        .height = HEIGHT,
        .layers = 1,
    };
    VkFramebuffer fb;
    CHECK(vkCreateFramebuffer(device, &info, NULL, &fb));
    return fb;
}

static void set_viewport(VkCommandBuffer cmd)
{
    VkViewport vp = {0.0f, 0.0f, (float)WIDTH, (float)HEIGHT, 0.0f, 1.0f};
    VkRect2D scissor = {{0, 0}, {WIDTH, HEIGHT}};
    vkCmdSetViewport(cmd, 0, 1, &vp);
    vkCmdSetScissor(cmd, 0, 1, &scissor);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--describe") == 0)
        return describe();
    void **rd = renderdoc_api();
    if (rd && argc > 1)
        ((pSetCaptureFilePathTemplate)rd[RD_SET_CAPTURE_FILE_PATH_TEMPLATE])(argv[1]);
    if (!rd)
        fprintf(stderr, "vk_gbuffer: not running under RenderDoc; rendering without a capture\n");

    /* Instance, with VK_EXT_debug_utils for object names when offered. */
    uint32_t ext_count = 0;
    vkEnumerateInstanceExtensionProperties(NULL, &ext_count, NULL);
    VkExtensionProperties *exts = calloc(ext_count ? ext_count : 1, sizeof *exts);
    vkEnumerateInstanceExtensionProperties(NULL, &ext_count, exts);
    int have_debug_utils = 0;
    for (uint32_t i = 0; i < ext_count; i++)
        if (strcmp(exts[i].extensionName, VK_EXT_DEBUG_UTILS_EXTENSION_NAME) == 0)
            have_debug_utils = 1;
    free(exts);
    const char *instance_exts[1] = {VK_EXT_DEBUG_UTILS_EXTENSION_NAME};
    VkApplicationInfo app = {
        .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
        .pApplicationName = "rdc-extract vk_gbuffer",
        .apiVersion = VK_API_VERSION_1_1,
    };
    VkInstanceCreateInfo instance_info = {
        .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
        .pApplicationInfo = &app,
        .enabledExtensionCount = have_debug_utils ? 1 : 0,
        .ppEnabledExtensionNames = instance_exts,
    };
    CHECK(vkCreateInstance(&instance_info, NULL, &instance));

    uint32_t device_count = 1;
    VkResult enum_result = vkEnumeratePhysicalDevices(instance, &device_count, &physical);
    if ((enum_result != VK_SUCCESS && enum_result != VK_INCOMPLETE) || device_count == 0) {
        fprintf(stderr, "vk_gbuffer: no Vulkan device (is mesa-vulkan-drivers installed?)\n");
        return 2;
    }
    uint32_t family_count = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(physical, &family_count, NULL);
    VkQueueFamilyProperties families[16];
    if (family_count > 16)
        family_count = 16;
    vkGetPhysicalDeviceQueueFamilyProperties(physical, &family_count, families);
    uint32_t family = UINT32_MAX;
    for (uint32_t i = 0; i < family_count; i++)
        if (families[i].queueFlags & VK_QUEUE_GRAPHICS_BIT) {
            family = i;
            break;
        }
    if (family == UINT32_MAX) {
        fprintf(stderr, "vk_gbuffer: no graphics queue\n");
        return 2;
    }
    float priority = 1.0f;
    VkDeviceQueueCreateInfo queue_info = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
        .queueFamilyIndex = family,
        .queueCount = 1,
        .pQueuePriorities = &priority,
    };
    VkDeviceCreateInfo device_info = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
        .queueCreateInfoCount = 1,
        .pQueueCreateInfos = &queue_info,
    };
    CHECK(vkCreateDevice(physical, &device_info, NULL, &device));
    VkQueue queue;
    vkGetDeviceQueue(device, family, 0, &queue);
    if (have_debug_utils)
        set_object_name = (PFN_vkSetDebugUtilsObjectNameEXT)vkGetInstanceProcAddr(instance, "vkSetDebugUtilsObjectNameEXT");

    /* Targets. */
    const VkImageUsageFlags colour_usage =
        VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT;
    const VkFormat gbuffer_formats[4] = {
        VK_FORMAT_R8G8B8A8_SRGB, VK_FORMAT_A2B10G10R10_UNORM_PACK32, VK_FORMAT_R8G8B8A8_UNORM, VK_FORMAT_R16G16B16A16_SFLOAT};
    const char *gbuffer_names[4] = {"gbuffer.albedo", "gbuffer.normal", "gbuffer.material", "gbuffer.emissive"};
    Target gbuffer[4];
    for (int i = 0; i < 4; i++)
        gbuffer[i] = make_target(gbuffer_formats[i], colour_usage, VK_IMAGE_ASPECT_COLOR_BIT, gbuffer_names[i]);
    Target depth = make_target(VK_GBUFFER_DEPTH_FORMAT,
                               VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT,
                               depth_aspects(VK_GBUFFER_DEPTH_FORMAT), "gbuffer.depth");
    Target backbuffer = make_target(VK_FORMAT_B8G8R8A8_UNORM, colour_usage, VK_IMAGE_ASPECT_COLOR_BIT, "backbuffer");

    /* Render passes. */
    VkAttachmentDescription gbuffer_attachments[5];
    for (int i = 0; i < 5; i++) {
        VkAttachmentDescription a = {
            .format = i < 4 ? gbuffer_formats[i] : VK_GBUFFER_DEPTH_FORMAT,
            .samples = VK_SAMPLE_COUNT_1_BIT,
            .loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR,
            .storeOp = VK_ATTACHMENT_STORE_OP_STORE,
            .stencilLoadOp = VK_ATTACHMENT_LOAD_OP_CLEAR,
            .stencilStoreOp = VK_ATTACHMENT_STORE_OP_STORE,
            .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
            .finalLayout = i < 4 ? VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL : VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL,
        };
        gbuffer_attachments[i] = a;
    }
    VkSubpassDependency gbuffer_to_lighting = {
        .srcSubpass = 0,
        .dstSubpass = VK_SUBPASS_EXTERNAL,
        .srcStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT,
        .dstStageMask = VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT,
        .srcAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT,
        .dstAccessMask = VK_ACCESS_SHADER_READ_BIT,
    };
    VkRenderPass gbuffer_pass = make_render_pass(gbuffer_attachments, 4, 1, &gbuffer_to_lighting);

    VkAttachmentDescription lighting_attachment = {
        .format = VK_FORMAT_B8G8R8A8_UNORM,
        .samples = VK_SAMPLE_COUNT_1_BIT,
        .loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR,
        .storeOp = VK_ATTACHMENT_STORE_OP_STORE,
        .stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE,
        .stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE,
        .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
        .finalLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL,
    };
    VkSubpassDependency lighting_to_hud = {
        .srcSubpass = 0,
        .dstSubpass = VK_SUBPASS_EXTERNAL,
        .srcStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT,
        .dstStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT,
        .srcAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT,
        .dstAccessMask = VK_ACCESS_COLOR_ATTACHMENT_READ_BIT | VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT,
    };
    VkRenderPass lighting_pass = make_render_pass(&lighting_attachment, 1, 0, &lighting_to_hud);

    VkAttachmentDescription hud_attachment = lighting_attachment;
    hud_attachment.loadOp = VK_ATTACHMENT_LOAD_OP_LOAD;
    hud_attachment.initialLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL;
    hud_attachment.finalLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
    VkSubpassDependency before_hud = {
        .srcSubpass = VK_SUBPASS_EXTERNAL,
        .dstSubpass = 0,
        .srcStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT,
        .dstStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT,
        .srcAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT,
        .dstAccessMask = VK_ACCESS_COLOR_ATTACHMENT_READ_BIT | VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT,
    };
    VkRenderPass hud_pass = make_render_pass(&hud_attachment, 1, 0, &before_hud);

    VkImageView gbuffer_views[5] = {gbuffer[0].view, gbuffer[1].view, gbuffer[2].view, gbuffer[3].view, depth.view};
    VkFramebuffer gbuffer_fb = make_framebuffer(gbuffer_pass, gbuffer_views, 5);
    VkFramebuffer lighting_fb = make_framebuffer(lighting_pass, &backbuffer.view, 1);
    VkFramebuffer hud_fb = make_framebuffer(hud_pass, &backbuffer.view, 1);

    /* Descriptors: the lighting pass samples the four G-buffer targets. */
    VkSamplerCreateInfo sampler_info = {
        .sType = VK_STRUCTURE_TYPE_SAMPLER_CREATE_INFO,
        .magFilter = VK_FILTER_NEAREST,
        .minFilter = VK_FILTER_NEAREST,
        .mipmapMode = VK_SAMPLER_MIPMAP_MODE_NEAREST,
        .addressModeU = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE,
        .addressModeV = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE,
        .addressModeW = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE,
        .maxLod = 0.0f,
    };
    VkSampler sampler;
    CHECK(vkCreateSampler(device, &sampler_info, NULL, &sampler));
    VkDescriptorSetLayoutBinding bindings[4];
    for (uint32_t i = 0; i < 4; i++) {
        VkDescriptorSetLayoutBinding b = {
            .binding = i,
            .descriptorType = VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER,
            .descriptorCount = 1,
            .stageFlags = VK_SHADER_STAGE_FRAGMENT_BIT,
        };
        bindings[i] = b;
    }
    VkDescriptorSetLayoutCreateInfo set_layout_info = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
        .bindingCount = 4,
        .pBindings = bindings,
    };
    VkDescriptorSetLayout set_layout;
    CHECK(vkCreateDescriptorSetLayout(device, &set_layout_info, NULL, &set_layout));
    VkDescriptorPoolSize pool_size = {VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, 4};
    VkDescriptorPoolCreateInfo pool_info = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
        .maxSets = 1,
        .poolSizeCount = 1,
        .pPoolSizes = &pool_size,
    };
    VkDescriptorPool pool;
    CHECK(vkCreateDescriptorPool(device, &pool_info, NULL, &pool));
    VkDescriptorSetAllocateInfo set_alloc = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
        .descriptorPool = pool,
        .descriptorSetCount = 1,
        .pSetLayouts = &set_layout,
    };
    VkDescriptorSet set;
    CHECK(vkAllocateDescriptorSets(device, &set_alloc, &set));
    VkDescriptorImageInfo image_infos[4];
    VkWriteDescriptorSet writes[4];
    for (uint32_t i = 0; i < 4; i++) {
        image_infos[i].sampler = sampler;
        image_infos[i].imageView = gbuffer[i].view;
        image_infos[i].imageLayout = VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL;
        VkWriteDescriptorSet w = {
            .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
            .dstSet = set,
            .dstBinding = i,
            .descriptorCount = 1,
            .descriptorType = VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER,
            .pImageInfo = &image_infos[i],
        };
        writes[i] = w;
    }
    vkUpdateDescriptorSets(device, 4, writes, 0, NULL);

    /* Pipelines. */
    VkPushConstantRange push_range = {VK_SHADER_STAGE_VERTEX_BIT | VK_SHADER_STAGE_FRAGMENT_BIT, 0, sizeof(Push)};
    VkPipelineLayoutCreateInfo quad_layout_info = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
        .pushConstantRangeCount = 1,
        .pPushConstantRanges = &push_range,
    };
    VkPipelineLayout quad_layout;
    CHECK(vkCreatePipelineLayout(device, &quad_layout_info, NULL, &quad_layout));
    VkPipelineLayoutCreateInfo lighting_layout_info = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
        .setLayoutCount = 1,
        .pSetLayouts = &set_layout,
    };
    VkPipelineLayout lighting_layout;
    CHECK(vkCreatePipelineLayout(device, &lighting_layout_info, NULL, &lighting_layout));

    PipelineDesc gbuffer_desc = {spv_quad_vert, sizeof spv_quad_vert, spv_gbuffer_frag, sizeof spv_gbuffer_frag, 4, 1, 0};
    PipelineDesc lighting_desc = {spv_fullscreen_vert, sizeof spv_fullscreen_vert, spv_lighting_frag, sizeof spv_lighting_frag, 1, 0, 0};
    PipelineDesc hud_desc = {spv_quad_vert, sizeof spv_quad_vert, spv_hud_frag, sizeof spv_hud_frag, 1, 0, 1};
    VkPipeline gbuffer_pipeline = make_pipeline(&gbuffer_desc, quad_layout, gbuffer_pass);
    VkPipeline lighting_pipeline = make_pipeline(&lighting_desc, lighting_layout, lighting_pass);
    VkPipeline hud_pipeline = make_pipeline(&hud_desc, quad_layout, hud_pass);

    VkCommandPoolCreateInfo cmd_pool_info = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
        .queueFamilyIndex = family,
    };
    VkCommandPool cmd_pool;
    CHECK(vkCreateCommandPool(device, &cmd_pool_info, NULL, &cmd_pool));
    VkCommandBufferAllocateInfo cmd_alloc = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
        .commandPool = cmd_pool,
        .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
        .commandBufferCount = 1,
    };
    VkCommandBuffer cmd;
    CHECK(vkAllocateCommandBuffers(device, &cmd_alloc, &cmd));

    /* ---- The captured frame ---- */
    void *rd_device = *(void **)instance; /* RENDERDOC_DEVICEPOINTER_FROM_VKINSTANCE */
    if (rd)
        ((pStartFrameCapture)rd[RD_START_FRAME_CAPTURE])(rd_device, NULL);

    VkCommandBufferBeginInfo begin = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
        .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
    };
    CHECK(vkBeginCommandBuffer(cmd, &begin));

    VkClearValue gbuffer_clears[5];
    memset(gbuffer_clears, 0, sizeof gbuffer_clears);
    gbuffer_clears[4].depthStencil.depth = 1.0f;
    gbuffer_clears[4].depthStencil.stencil = 0;
    VkRenderPassBeginInfo gbuffer_begin = {
        .sType = VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO,
        .renderPass = gbuffer_pass,
        .framebuffer = gbuffer_fb,
        .renderArea = {{0, 0}, {WIDTH, HEIGHT}},
        .clearValueCount = 5,
        .pClearValues = gbuffer_clears,
    };
    vkCmdBeginRenderPass(cmd, &gbuffer_begin, VK_SUBPASS_CONTENTS_INLINE);
    vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, gbuffer_pipeline);
    set_viewport(cmd);
    for (int i = 0; i < 3; i++) {
        Push p = quad_push(&QUADS[i]);
        vkCmdSetStencilReference(cmd, VK_STENCIL_FACE_FRONT_AND_BACK, QUADS[i].stencil);
        vkCmdPushConstants(cmd, quad_layout, push_range.stageFlags, 0, sizeof p, &p);
        vkCmdDraw(cmd, 4, 1, 0, 0);
    }
    vkCmdEndRenderPass(cmd);

    VkClearValue black;
    memset(&black, 0, sizeof black);
    VkRenderPassBeginInfo lighting_begin = {
        .sType = VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO,
        .renderPass = lighting_pass,
        .framebuffer = lighting_fb,
        .renderArea = {{0, 0}, {WIDTH, HEIGHT}},
        .clearValueCount = 1,
        .pClearValues = &black,
    };
    vkCmdBeginRenderPass(cmd, &lighting_begin, VK_SUBPASS_CONTENTS_INLINE);
    vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, lighting_pipeline);
    vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, lighting_layout, 0, 1, &set, 0, NULL);
    set_viewport(cmd);
    vkCmdDraw(cmd, 3, 1, 0, 0);
    vkCmdEndRenderPass(cmd);

    VkRenderPassBeginInfo hud_begin = {
        .sType = VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO,
        .renderPass = hud_pass,
        .framebuffer = hud_fb,
        .renderArea = {{0, 0}, {WIDTH, HEIGHT}},
    };
    vkCmdBeginRenderPass(cmd, &hud_begin, VK_SUBPASS_CONTENTS_INLINE);
    vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, hud_pipeline);
    set_viewport(cmd);
    Push hud;
    memset(&hud, 0, sizeof hud);
    quad_rect(HUD_RECT[0], HUD_RECT[1], HUD_RECT[2], HUD_RECT[3], hud.rect);
    memcpy(hud.albedo, HUD_COLOUR, sizeof HUD_COLOUR);
    vkCmdPushConstants(cmd, quad_layout, push_range.stageFlags, 0, sizeof hud, &hud);
    vkCmdDraw(cmd, 4, 1, 0, 0);
    vkCmdEndRenderPass(cmd);

    CHECK(vkEndCommandBuffer(cmd));
    VkSubmitInfo submit = {
        .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
        .commandBufferCount = 1,
        .pCommandBuffers = &cmd,
    };
    CHECK(vkQueueSubmit(queue, 1, &submit, VK_NULL_HANDLE));
    CHECK(vkQueueWaitIdle(queue));

    int status = 0;
    if (rd) {
        if (((pEndFrameCapture)rd[RD_END_FRAME_CAPTURE])(rd_device, NULL) != 1) {
            fprintf(stderr, "vk_gbuffer: RenderDoc wrote no capture\n");
            status = 1;
        } else {
            uint32_t n = ((pGetNumCaptures)rd[RD_GET_NUM_CAPTURES])();
            char path[4096];
            uint32_t length = sizeof path;
            if (n > 0 && ((pGetCapture)rd[RD_GET_CAPTURE])(n - 1, path, &length, NULL))
                printf("%s\n", path);
        }
    }

    vkDeviceWaitIdle(device);
    vkDestroyPipeline(device, gbuffer_pipeline, NULL);
    vkDestroyPipeline(device, lighting_pipeline, NULL);
    vkDestroyPipeline(device, hud_pipeline, NULL);
    vkDestroyPipelineLayout(device, quad_layout, NULL);
    vkDestroyPipelineLayout(device, lighting_layout, NULL);
    vkDestroyCommandPool(device, cmd_pool, NULL);
    vkDestroyDescriptorPool(device, pool, NULL);
    vkDestroyDescriptorSetLayout(device, set_layout, NULL);
    vkDestroySampler(device, sampler, NULL);
    vkDestroyFramebuffer(device, gbuffer_fb, NULL);
    vkDestroyFramebuffer(device, lighting_fb, NULL);
    vkDestroyFramebuffer(device, hud_fb, NULL);
    vkDestroyRenderPass(device, gbuffer_pass, NULL);
    vkDestroyRenderPass(device, lighting_pass, NULL);
    vkDestroyRenderPass(device, hud_pass, NULL);
    Target all[6] = {gbuffer[0], gbuffer[1], gbuffer[2], gbuffer[3], depth, backbuffer};
    for (int i = 0; i < 6; i++) {
        vkDestroyImageView(device, all[i].view, NULL);
        vkDestroyImage(device, all[i].image, NULL);
        vkFreeMemory(device, all[i].memory, NULL);
    }
    vkDestroyDevice(device, NULL);
    vkDestroyInstance(instance, NULL);
    return status;
}
