// phrkit Android library (AAR): the uniffi-generated Kotlin (shared with the JVM build in ../src/main/kotlin),
// the Rust library for four ABIs (jniLibs, filled by cargo-ndk in ./build-aar.sh) and the Health Connect
// adapter (src/main/kotlin), which only this Android source set compiles.
plugins {
    id("com.android.library") version "8.7.3"
    id("org.jetbrains.kotlin.android") version "2.1.21"
}

android {
    namespace = "dev.phrkit.android"
    compileSdk = 35

    defaultConfig {
        // Health Connect's client library needs API 26.
        minSdk = 26
        consumerProguardFiles("consumer-rules.pro")
    }

    sourceSets {
        getByName("main") {
            // Generated bindings are committed once, under the JVM project, and compiled by both builds.
            kotlin.srcDirs("src/main/kotlin", "../src/main/kotlin")
            jniLibs.srcDirs("src/main/jniLibs")
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
}

kotlin {
    jvmToolchain(17)
}

dependencies {
    // The AAR flavour of JNA carries libjnidispatch.so for every Android ABI.
    implementation("net.java.dev.jna:jna:5.19.1@aar")
    implementation("androidx.health.connect:connect-client:1.1.0")
}
