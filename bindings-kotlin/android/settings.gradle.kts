// Android library module of the phrkit Kotlin bindings (AAR). Built by ./build-aar.sh; NOT built in this
// repository's CI (no Android SDK there) — see README.md.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}
dependencyResolutionManagement {
    repositories {
        google()
        mavenCentral()
    }
}
rootProject.name = "phrkit-android"
