// spatten/golden.h — the whole golden model in one include.
#pragma once
#include "spatten/attention.h"
#include "spatten/cascade.h"
#include "spatten/config.h"
#include "spatten/dot.h"
#include "spatten/fixed.h"
#include "spatten/importance.h"
#include "spatten/pruning.h"
#include "spatten/quant.h"
#include "spatten/requant.h"
#include "spatten/softmax.h"
#include "spatten/topk.h"
