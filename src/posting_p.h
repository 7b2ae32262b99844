// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QObject>

#include <memory>
#include <utility>

// ThreadSanitizer's annotations (GCC defines __SANITIZE_THREAD__, clang has the feature test).
#if defined(__SANITIZE_THREAD__)
#define PERSISTVAR_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PERSISTVAR_TSAN 1
#endif
#endif
#ifdef PERSISTVAR_TSAN
extern "C" void __tsan_acquire(void *address);
extern "C" void __tsan_release(void *address);
#endif

namespace PersistVar::Private {

// Runs \a function in \a context's thread, queued, like QMetaObject::invokeMethod(). The
// function (and everything it captured) is handed over with an explicit release/acquire pair:
// Qt's event queue orders the hand-off through a futex inside an uninstrumented libQt6Core, so
// without it ThreadSanitizer sees the captured values (an Error's strings, say) created in one
// thread and used and destroyed in another with nothing in between. In other builds the
// annotations are nothing.
template<typename Function>
void postTo(QObject *context, Function function)
{
    struct Box
    {
        explicit Box(Function f) : function(std::move(f)) { }
        Function function;
    };
    // Acquired before use, and before destruction in case the event is dropped unrun (the
    // context was deleted first).
    struct Handle
    {
        std::unique_ptr<Box> box;
        Box *acquire() const
        {
#ifdef PERSISTVAR_TSAN
            if (box)
                __tsan_acquire(box.get());
#endif
            return box.get();
        }
        ~Handle()
        {
            acquire();
        }
        Handle(std::unique_ptr<Box> b) : box(std::move(b)) { }
        Handle(Handle &&) = default;
    };
    auto box = std::make_unique<Box>(std::move(function));
#ifdef PERSISTVAR_TSAN
    __tsan_release(box.get());
#endif
    QMetaObject::invokeMethod(
        context, [handle = Handle(std::move(box))] { handle.acquire()->function(); },
        Qt::QueuedConnection);
}

} // namespace PersistVar::Private
