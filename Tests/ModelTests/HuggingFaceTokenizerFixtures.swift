/// Four Hugging Face folders whose tokenizer files exercise the rules of gguf-py's `SpecialVocab`.
/// The keys each must give were produced by the `gguf-py` of llama.cpp 0c1e570 (vendored in the
/// llama-cpp-python 0.3.36 sdist) on the same files.
enum HuggingFaceTokenizerFixtures {
    static let folders: [String: [String: String]] = [
        "A": [
            "config.json": #"""
            {
             "architectures": ["LlamaForCausalLM"],
             "model_type": "llama",
             "hidden_size": 64,
             "intermediate_size": 128,
             "num_hidden_layers": 2,
             "num_attention_heads": 4,
             "num_key_value_heads": 2,
             "max_position_embeddings": 256,
             "rms_norm_eps": 1e-05,
             "rope_theta": 100000.0,
             "vocab_size": 12,
             "bos_token_id": 1,
             "eos_token_id": 2,
             "tie_word_embeddings": true,
             "rope_scaling": null
            }
            """#,
            "tokenizer.json": #"""
            {
             "version": "1.0",
             "added_tokens": [
              {"id": 0, "content": "<|endoftext|>", "special": true, "normalized": false},
              {"id": 1, "content": "<|im_start|>", "special": true, "normalized": false},
              {"id": 2, "content": "<|im_end|>", "special": true, "normalized": false},
              {"id": 9, "content": "<|tool|>", "special": false, "normalized": false},
              {"id": 10, "content": "▁user▁", "special": false, "normalized": false}
             ],
             "normalizer": null,
             "pre_tokenizer": {
              "type": "Sequence",
              "pretokenizers": [{"type": "Digits", "individual_digits": true}, {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}]
             },
             "post_processor": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
             "decoder": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
             "model": {
              "type": "BPE",
              "vocab": {"<|endoftext|>": 0, "<|im_start|>": 1, "<|im_end|>": 2, "a": 3, "b": 4, "ab": 5, "Ġ": 6, "Ġa": 7, "c": 8},
              "merges": [["a", "b"], ["Ġ", "a"], ["a b", "c"]]
             }
            }
            """#,
            "tokenizer_config.json": #"""
            {
             "add_prefix_space": false,
             "bos_token": "<|im_start|>",
             "eos_token": "<|im_end|>",
             "unk_token": "<|endoftext|>",
             "pad_token": "<|im_end|>",
             "chat_template": "{{ messages }}",
             "model_max_length": 256
            }
            """#,
        ],
        "B": [
            "config.json": #"""
            {
             "architectures": ["LlamaForCausalLM"],
             "model_type": "llama",
             "hidden_size": 64,
             "intermediate_size": 128,
             "num_hidden_layers": 2,
             "num_attention_heads": 4,
             "num_key_value_heads": 2,
             "max_position_embeddings": 256,
             "rms_norm_eps": 1e-05,
             "rope_theta": 100000.0,
             "vocab_size": 12,
             "bos_token_id": 1,
             "eos_token_id": [2, 0],
             "tie_word_embeddings": true,
             "rope_scaling": null,
             "head_dim": 16
            }
            """#,
            "tokenizer.json": #"""
            {
             "version": "1.0",
             "added_tokens": [
              {"id": 0, "content": "<|endoftext|>", "special": true},
              {"id": 1, "content": "<|begin_of_text|>", "special": true},
              {"id": 2, "content": "<|eot_id|>", "special": true}
             ],
             "normalizer": null,
             "pre_tokenizer": {
              "type": "Sequence",
              "pretokenizers": [{"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}, "behavior": "Isolated", "invert": false}, {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]
             },
             "post_processor": {
              "type": "Sequence",
              "processors": [{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true}, {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}], "pair": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}], "special_tokens": {}}]
             },
             "model": {
              "type": "BPE",
              "vocab": {"<|endoftext|>": 0, "<|begin_of_text|>": 1, "<|eot_id|>": 2, "a": 3, "b": 4, "ab": 5, "Ġ": 6, "Ġa": 7, "c": 8},
              "merges": ["a b", "Ġ a"],
              "ignore_merges": true
             }
            }
            """#,
            "tokenizer_config.json": #"""
            {
             "bos_token": {"content": "<|begin_of_text|>", "lstrip": false},
             "eos_token": "<|eot_id|>",
             "add_bos_token": false,
             "chat_template": [
              {"name": "default", "template": "T0"},
              {"name": "tool use", "template": "T1"},
              {"name": "rag", "template": ""}
             ]
            }
            """#,
        ],
        "C": [
            "chat_template.jinja": #"ignored without tokenizer_config"#,
            "config.json": #"""
            {
             "architectures": ["LlamaForCausalLM"],
             "model_type": "llama",
             "hidden_size": 64,
             "intermediate_size": 128,
             "num_hidden_layers": 2,
             "num_attention_heads": 4,
             "num_key_value_heads": 2,
             "max_position_embeddings": 256,
             "rms_norm_eps": 1e-05,
             "rope_theta": 100000.0,
             "vocab_size": 9,
             "eos_token_id": 2,
             "tie_word_embeddings": true,
             "rope_scaling": null,
             "pad_token_id": 0
            }
            """#,
            "tokenizer.json": #"""
            {
             "version": "1.0",
             "added_tokens": [
              {"id": 0, "content": "<pad>", "special": false},
              {"id": 1, "content": "<s>", "special": true},
              {"id": 2, "content": "</s>", "special": true}
             ],
             "normalizer": {"type": "Sequence", "normalizers": [{"type": "Lowercase"}]},
             "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
             "post_processor": {
              "type": "TemplateProcessing",
              "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
              "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "</s>", "type_id": 1}}]
             },
             "model": {
              "type": "BPE",
              "vocab": {"<pad>": 0, "<s>": 1, "</s>": 2, "a": 3, "b": 4, "ab": 5, "Ġ": 6, "Ġa": 7, "c": 8},
              "merges": ["a b", "Ġ a"]
             }
            }
            """#,
        ],
        "D": [
            "chat_template.jinja": #"{{ jinja }}"#,
            "config.json": #"""
            {
             "architectures": ["LlamaForCausalLM"],
             "model_type": "llama",
             "hidden_size": 64,
             "intermediate_size": 128,
             "num_hidden_layers": 2,
             "num_attention_heads": 4,
             "num_key_value_heads": 2,
             "max_position_embeddings": 256,
             "rms_norm_eps": 1e-05,
             "rope_theta": 100000.0,
             "vocab_size": 9,
             "eos_token_id": 2,
             "tie_word_embeddings": true,
             "rope_scaling": null,
             "pad_token_id": 0
            }
            """#,
            "tokenizer.json": #"""
            {
             "version": "1.0",
             "added_tokens": [
              {"id": 0, "content": "<pad>", "special": true},
              {"id": 1, "content": "<s>", "special": true},
              {"id": 2, "content": "</s>", "special": true}
             ],
             "normalizer": {"type": "BertNormalizer", "lowercase": false, "strip_accents": null},
             "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
             "post_processor": {
              "type": "TemplateProcessing",
              "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
              "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "<pad>", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "</s>", "type_id": 1}}]
             },
             "model": {
              "type": "BPE",
              "vocab": {"<pad>": 0, "<s>": 1, "</s>": 2, "a": 3, "b": 4, "ab": 5, "Ġ": 6, "Ġa": 7, "c": 8},
              "merges": ["a b", "Ġ a"]
             }
            }
            """#,
            "tokenizer_config.json": #"""
            {
             "eos_token": "<pad>",
             "sep_token": null,
             "add_eos_token": false,
             "add_sep_token": true,
             "mask_token": "<s>"
            }
            """#,
        ],
    ]
}
